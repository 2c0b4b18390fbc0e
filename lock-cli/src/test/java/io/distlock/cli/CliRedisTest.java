package io.distlock.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The commands against a real redis-server on a free loopback port. */
class CliRedisTest extends CliStoreTest {

    private static TestRedis redis;

    @BeforeAll
    static void startRedis() {
        redis = TestRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    String uri() {
        return redis.uri();
    }
}
