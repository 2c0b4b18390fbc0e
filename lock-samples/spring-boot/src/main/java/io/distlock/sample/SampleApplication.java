package io.distlock.sample;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The sample service. Its backend is an embedded Hazelcast member on 127.0.0.1: a second instance started on another
 * HTTP port joins the first one's cluster, so the two share their locks and idempotency records, as replicas would.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

    /** distlock finds this bean and builds its lock manager and record store on it; the application shuts it down. */
    @Bean(destroyMethod = "shutdown")
    @ConditionalOnProperty(name = "sample.embedded-hazelcast", havingValue = "true", matchIfMissing = true)
    HazelcastInstance hazelcast() {
        Config config = new Config().setClusterName("distlock-sample");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.getJetConfig().setEnabled(false);
        config.getNetworkConfig().setPort(5701).setPortAutoIncrement(true);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:5701").addMember("127.0.0.1:5702")
                .addMember("127.0.0.1:5703");
        return Hazelcast.newHazelcastInstance(config);
    }
}
