package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The JDBC backend's {@link LockInspection} on each dialect (holder of a key, paged listing under a prefix,
 * force-release through the owner-checked release by another manager), the 256-character owners, and the V1 → V2
 * schema upgrade.
 */
final class JdbcInspectionTests {

    private JdbcInspectionTests() {
    }

    /** A printable owner of the longest length the core may write. */
    static final String LONG_OWNER = ("0123456789abcdef:host-" + "x".repeat(300)).substring(0, JdbcSchema.OWNER_CHARS);

    abstract static class Kit {
        static HikariDataSource pool;
        static JdbcDialect dialect;
        final List<AutoCloseable> closing = new ArrayList<>();
        JdbcLockBackend inspection;
        final String prefix = "insp-" + UUID.randomUUID() + ":";

        static void use(HikariDataSource dataSource) {
            pool = dataSource;
            JdbcCalls calls = new JdbcCalls(dataSource, Duration.ofSeconds(30), "test");
            dialect = calls.call("dialect", JdbcDialect::of);
            JdbcSchema.createIfMissing(calls, dialect);
        }

        @AfterAll
        static void closePool() {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }

        /** A fresh pool on an empty namespace of the same server (a database, schema or in-memory database). */
        abstract HikariDataSource emptyNamespace() throws SQLException;

        @BeforeEach
        void backend() {
            inspection = backendOn(pool);
            closing.add(inspection);
        }

        static JdbcLockBackend backendOn(HikariDataSource dataSource) {
            JdbcCalls calls = new JdbcCalls(dataSource, Duration.ofSeconds(2), "test");
            return new JdbcLockBackend(calls, dialect, new ReleaseNotifications(dataSource, dialect, false,
                    Duration.ofMillis(100), "test"), null, Housekeeping.every(Duration.ZERO, calls, dialect,
                    dialect.purgeLocks(), Duration.ZERO, "locks"));
        }

        @AfterEach
        void close() throws Exception {
            for (AutoCloseable c : reversedClosing()) {
                c.close();
            }
        }

        private List<AutoCloseable> reversedClosing() {
            List<AutoCloseable> reversed = new ArrayList<>(closing);
            java.util.Collections.reverse(reversed);
            return reversed;
        }

        LockManager manager(LockSettings settings) {
            LockManager manager = JdbcLockManager.builder().dataSource(pool).purgeInterval(Duration.ZERO)
                    .settings(settings).build();
            closing.add(manager);
            return manager;
        }

        static long deadline() {
            return System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        }

        @Test
        void read_shows_the_holder_its_token_and_the_lease_left_by_the_database_clock() {
            LockManager locks = manager(LockSettings.defaults().withLease(Duration.ofSeconds(30)));
            String key = prefix + "k";
            assertThat(inspection.read(key, deadline())).isNull();
            try (LockHandle handle = locks.tryLock(key).orElseThrow()) {
                StoredLock stored = inspection.read(key, deadline());
                assertThat(stored).isNotNull();
                assertThat(stored.key()).isEqualTo(key);
                assertThat(stored.owner()).isNotBlank();
                assertThat(stored.fencingToken()).isEqualTo(handle.fencingToken());
                assertThat(stored.leaseRemainingNanos()).isPositive()
                        .isLessThanOrEqualTo(Duration.ofSeconds(30).toNanos());
            }
            assertThat(inspection.read(key, deadline())).as("released").isNull();
        }

        @Test
        void an_expired_lease_is_not_a_lock() {
            String key = prefix + "expired";
            AcquireResult acquired = inspection.tryAcquire(key, "owner-1", Duration.ofMillis(200));
            assertThat(acquired.isAcquired()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> inspection.read(key, deadline()) == null);
        }

        @Test
        void owners_of_256_characters_are_stored_compared_and_returned_whole() {
            String key = prefix + "long-owner";
            assertThat(inspection.tryAcquire(key, LONG_OWNER, Duration.ofSeconds(30)).isAcquired()).isTrue();
            assertThat(inspection.read(key, deadline()).owner()).isEqualTo(LONG_OWNER);
            assertThat(inspection.tryAcquire(key, LONG_OWNER.substring(0, 255) + "y", Duration.ofSeconds(30))
                    .isAcquired()).as("an owner differing in its last character is another owner").isFalse();
            assertThat(inspection.release(key, LONG_OWNER.substring(0, 255))).isFalse();
            assertThat(inspection.release(key, LONG_OWNER)).isTrue();
        }

        @Test
        void list_pages_through_the_held_keys_under_a_prefix_in_key_order() {
            LockManager locks = manager(LockSettings.defaults());
            // Keys with multi-byte characters on both sides of ASCII in byte order, a released one, and keys just
            // outside the prefix on either side.
            List<String> held = List.of("a", "b", "c/d", "z", "\u00e9t\u00e9", "\u4e2d", "\uD83D\uDE00", "\u0001");
            for (String k : held) {
                closing.add(locks.tryLock(prefix + k).orElseThrow());
            }
            locks.tryLock(prefix + "released").orElseThrow().close();
            String outside = prefix.substring(0, prefix.length() - 1);
            closing.add(locks.tryLock(outside).orElseThrow());
            closing.add(locks.tryLock(outside + ";").orElseThrow());

            List<String> seen = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                LockInspection.Page page = inspection.list(prefix, cursor, 3, deadline());
                assertThat(page.locks()).hasSizeLessThanOrEqualTo(3);
                page.locks().forEach(l -> {
                    assertThat(l.owner()).isNotBlank();
                    assertThat(l.fencingToken()).isPositive();
                    assertThat(l.leaseRemainingNanos()).isPositive();
                    seen.add(l.key());
                });
                cursor = page.nextCursor();
                pages++;
            } while (cursor != null && pages < 20);
            List<String> expected = held.stream().map(k -> prefix + k)
                    .sorted((x, y) -> java.util.Arrays.compareUnsigned(JdbcLockBackend.keyBytes(x),
                            JdbcLockBackend.keyBytes(y)))
                    .toList();
            assertThat(seen).as("every held key once, in byte order").containsExactlyElementsOf(expected);
            assertThat(pages).isEqualTo(3);

            List<String> all = new ArrayList<>();
            LockInspection.Page everything = inspection.list("", null, 1000, deadline());
            everything.locks().forEach(l -> all.add(l.key()));
            assertThat(all).contains(outside, prefix + "a");
        }

        @Test
        void a_cursor_that_is_not_ours_is_refused() {
            assertThatThrownBy(() -> inspection.list(prefix, "not hex!", 10, deadline()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
        }

        @Test
        void the_owner_checked_release_frees_another_managers_lock_and_wakes_its_waiters() throws Exception {
            LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(3))
                    .withOperationTimeout(Duration.ofSeconds(1));
            LockManager holder = manager(settings);
            LockManager waiter = manager(settings);
            String key = prefix + "stuck";
            LockHandle held = holder.tryLock(key).orElseThrow();
            closing.add(held);
            CompletableFuture<Optional<LockHandle>> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.tryLock(key, Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            StoredLock stored = inspection.read(key, deadline());
            assertThat(inspection.release(key, "someone-else")).isFalse();
            assertThat(inspection.release(key, stored.owner())).as("released by a third party").isTrue();
            Optional<LockHandle> got = waiting.get(15, TimeUnit.SECONDS);
            assertThat(got).as("the waiter of another manager got the key").isPresent();
            closing.add(got.get());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(held.isHeld()).as("the old holder notices at its next renewal").isFalse());
            assertThat(held.lost()).isCompleted();
        }

        @Test
        void a_v1_lock_table_fails_clearly_and_create_schema_upgrades_it() throws Exception {
            try (HikariDataSource empty = emptyNamespace()) {
                try (Connection c = empty.getConnection(); Statement s = c.createStatement()) {
                    for (String sql : JdbcSchema.statements(dialect, "V1__distlock.sql")) {
                        s.execute(sql);
                    }
                    assertThat(JdbcSchema.hasLockExpiryIndex(c)).as("V1 has the expires_us index").isTrue();
                }
                assertThatThrownBy(() -> JdbcLockManager.builder().dataSource(empty).build())
                        .isInstanceOf(LockConfigurationException.class)
                        .hasMessageContaining("V1").hasMessageContaining("V2__owner_256.sql")
                        .hasMessageContaining(dialect.schemaLocation());
                try (LockManager upgraded = JdbcLockManager.builder().dataSource(empty).createSchema(true).build();
                     LockHandle handle = upgraded.tryLock("k").orElseThrow()) {
                    assertThat(handle.isHeld()).isTrue();
                }
                try (Connection c = empty.getConnection()) {
                    assertThat(JdbcSchema.ownerWidth(c)).isEqualTo(JdbcSchema.OWNER_CHARS);
                    assertThat(JdbcSchema.hasLockExpiryIndex(c)).as("V3 dropped V1's expires_us index").isFalse();
                }
                try (JdbcLockBackend backend = backendOn(empty)) {
                    assertThat(backend.tryAcquire("long", LONG_OWNER, Duration.ofSeconds(5)).isAcquired()).isTrue();
                    assertThat(backend.read("long", deadline()).owner()).isEqualTo(LONG_OWNER);
                }
                // Building again against the current schema changes nothing.
                JdbcLockManager.builder().dataSource(empty).createSchema(true).build().close();
                try (Connection c = empty.getConnection()) {
                    assertThat(JdbcSchema.hasLockExpiryIndex(c)).isFalse();
                }
            }
        }

        @Test
        void a_missing_table_is_a_configuration_error_naming_the_scripts() throws Exception {
            try (HikariDataSource empty = emptyNamespace()) {
                assertThatThrownBy(() -> JdbcLockManager.builder().dataSource(empty).build())
                        .isInstanceOf(LockConfigurationException.class)
                        .hasMessageContaining("V1__distlock.sql").hasMessageContaining("createSchema(true)");
            }
        }
    }

    @DisplayName("inspection: jdbc:postgresql")
    static final class PostgresInspectionTest extends Kit {
        @BeforeAll
        static void start() {
            use(JdbcTckBackend.pool(PostgresServer.shared().url(), "postgres", null, 10));
        }

        @Override
        HikariDataSource emptyNamespace() throws SQLException {
            String schema = "s" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            return JdbcTckBackend.pool(PostgresServer.shared().url() + "?currentSchema=" + schema, "postgres", null,
                    4);
        }
    }

    @DisplayName("inspection: jdbc:mariadb")
    static final class MariaDbInspectionTest extends Kit {
        @BeforeAll
        static void start() {
            use(JdbcTckBackend.pool(MariaDbServer.shared().url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 10));
        }

        @Override
        HikariDataSource emptyNamespace() throws SQLException {
            String database = "d" + UUID.randomUUID().toString().replace("-", "");
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + database);
            }
            String url = MariaDbServer.shared().url();
            return JdbcTckBackend.pool(url.substring(0, url.lastIndexOf('/') + 1) + database, MariaDbServer.USER,
                    MariaDbServer.PASSWORD, 4);
        }
    }

    @DisplayName("inspection: jdbc:h2")
    static final class H2InspectionTest extends Kit {
        @BeforeAll
        static void start() {
            use(JdbcTckBackend.pool("jdbc:h2:mem:inspection;DB_CLOSE_DELAY=-1", null, null, 10));
        }

        @Override
        HikariDataSource emptyNamespace() {
            return JdbcTckBackend.pool("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", null, null, 4);
        }
    }
}
