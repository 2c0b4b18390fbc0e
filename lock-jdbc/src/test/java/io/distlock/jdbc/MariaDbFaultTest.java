package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Faults of a real MariaDB beyond the TCK's pause: sessions killed with {@code KILL}, and a row lock held by another
 * open transaction; plus the {@code jdbc:mariadb} URI with credentials as parameters.
 */
@DisplayName("jdbc:mariadb under faults")
class MariaDbFaultTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static MariaDbServer server;
    private static HikariDataSource pool;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void start() {
        server = MariaDbServer.shared();
        pool = JdbcTckBackend.pool(server.url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 10);
    }

    @AfterAll
    static void stop() {
        if (pool != null) {
            pool.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    private LockManager manager() {
        LockManager manager = JdbcLockManager.builder().dataSource(pool).createSchema(true)
                .settings(LockSettings.defaults().withLease(Duration.ofSeconds(9)).withOperationTimeout(TIMEOUT)).build();
        closeAfter.add(manager);
        return manager;
    }

    private static String key(String hint) {
        return "fault:" + hint + ":" + UUID.randomUUID();
    }

    @Test
    @DisplayName("sessions killed with KILL are replaced: the next calls succeed and held locks stay held")
    void killedSessionsAreReplaced() throws Exception {
        LockManager manager = manager();
        String held = key("killed-held");
        LockHandle handle = manager.tryLock(held).orElseThrow();
        int killed = 0;
        try (Connection admin = server.admin(); Statement statement = admin.createStatement()) {
            List<Long> ids = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery("SELECT ID FROM information_schema.PROCESSLIST "
                    + "WHERE USER = 'distlock' AND ID <> CONNECTION_ID()")) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            for (long id : ids) {
                statement.execute("KILL " + id);
                killed++;
            }
        }
        assertThat(killed).isPositive();
        try (LockHandle second = manager.tryLock(key("killed-other")).orElseThrow()) {
            assertThat(second.isHeld()).isTrue();
        }
        assertThat(manager().tryLock(held)).as("the held key after the sessions died").isEmpty();
        handle.close();
        assertThat(manager().tryLock(held)).as("the key after its release").isPresent();
    }

    @Test
    @DisplayName("a row locked by another open transaction times out as an outage, not contention")
    void lockedRowIsAnOutage() throws Exception {
        LockManager manager = manager();
        String key = key("row-locked");
        manager.tryLock(key).orElseThrow().close();
        try (Connection admin = server.admin()) {
            admin.setAutoCommit(false);
            try (PreparedStatement statement = admin.prepareStatement(
                    "SELECT token FROM distlock_locks WHERE lock_key = ? FOR UPDATE")) {
                statement.setBytes(1, JdbcLockBackend.keyBytes(key));
                try (ResultSet rs = statement.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                }
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(2));
            admin.rollback();
        }
        // The timed-out statement may still run on the server once the row is free, taking the key for an
        // acquisition nobody holds (clause 9's "state unknown"): it frees within one lease, never renewed.
        LockHandle again = org.awaitility.Awaitility.await("the key frees within a lease")
                .atMost(Duration.ofSeconds(30)).until(() -> manager.tryLock(key).orElse(null), h -> h != null);
        again.close();
    }

    @Test
    @DisplayName("a jdbc:mariadb URI with user and password parameters builds a manager with its own pool")
    void uri() {
        LockManager manager = LockManagers.create(URI.create(server.url() + "?user=" + MariaDbServer.USER
                + "&password=" + MariaDbServer.PASSWORD + "&timeout=2s&createSchema=true"));
        closeAfter.add(manager);
        try (LockHandle handle = manager.tryLock(key("uri")).orElseThrow()) {
            assertThat(handle.fencingToken()).isPositive();
        }
        assertThat(manager.toString()).doesNotContain(MariaDbServer.PASSWORD + "&");
    }
}
