package io.distlock.spi;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LockUriRedactionTest {

    @Test
    void passwordsAreRedactedWithOrWithoutAUserName() {
        assertThat(LockUri.redact(URI.create("redis://app:s3cret@127.0.0.1:6379/0")))
                .isEqualTo("redis://app:***@127.0.0.1:6379/0");
        assertThat(LockUri.redact(URI.create("redis://s3cret@127.0.0.1:6379")))
                .isEqualTo("redis://***@127.0.0.1:6379");
        assertThat(LockUri.redact(URI.create("zookeeper://u:pw@127.0.0.1:2181,127.0.0.1:2182/app")))
                .isEqualTo("zookeeper://u:***@127.0.0.1:2181,127.0.0.1:2182/app");
        assertThat(LockUri.redact(URI.create("redis://127.0.0.1:6379"))).isEqualTo("redis://127.0.0.1:6379");
    }

    @Test
    void anUnknownParameterMessageNeverShowsAPasswordOnlyUserInfo() {
        assertThatThrownBy(() -> io.distlock.LockManagers.create(URI.create("local://s3cret@orders?bogus=1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("s3cret");
    }
}
