package io.distlock.spi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The owner format: what backends store must be short printable ASCII, and read back to the same names. */
class OwnerDescriptionTest {

    private static final String ID_PREFIX = "0123456789abcdef:";
    private static final long MAX_MILLIS = 9_999_999_999_999L;

    @ParameterizedTest
    @ValueSource(strings = {"http-nio-8080-exec-4", "worker 1", "pipe|in|name", "100%", "a%7Cb", "tab\there",
            "line\nbreak", "Zürich-Arbeiter", "线程-7", "emoji 😀 thread", "{braces}/slashes\\back", "...", "",
            "~!@#$^&*()_+`-=[];',./<>?:\"", "%", "|", ";", "%%||%;;", "back\\slash", "a%3Bb"})
    void oddNamesRoundTrip(String name) {
        String owner = OwnerDescription.owner(ID_PREFIX, 42, 1_764_631_200_123L,
                OwnerDescription.managerPart("mgr " + name),
                OwnerDescription.encode(name, OwnerDescription.MAX_THREAD_CHARS));
        assertPrintable(owner);
        OwnerDescription.Parsed parsed = OwnerDescription.parse(owner);
        assertThat(parsed.ownerId()).isEqualTo(ID_PREFIX + "42");
        assertThat(parsed.threadName()).isEqualTo(name);
        assertThat(parsed.managerName()).isEqualTo("mgr " + name);
        assertThat(parsed.acquiredAt()).contains(Instant.ofEpochMilli(1_764_631_200_123L));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x", "é", "😀", "|", ";", "线"})
    void longNamesAreCutAtACharacterBoundaryWithinTheLimit(String unit) {
        String name = unit.repeat(500);
        String owner = OwnerDescription.owner(ID_PREFIX, Long.MAX_VALUE, MAX_MILLIS,
                OwnerDescription.managerPart(name),
                OwnerDescription.encode(name, OwnerDescription.MAX_THREAD_CHARS));
        assertPrintable(owner);
        assertThat(owner.length()).isLessThanOrEqualTo(OwnerDescription.MAX_LENGTH);
        OwnerDescription.Parsed parsed = OwnerDescription.parse(owner);
        assertThat(parsed.ownerId()).isEqualTo(ID_PREFIX + Long.MAX_VALUE);
        for (String read : new String[] {parsed.managerName(), parsed.threadName()}) {
            assertThat(read).endsWith("...").doesNotContain("\uFFFD");
            String kept = read.substring(0, read.length() - 3);
            assertThat(name).startsWith(kept);
            assertThat(kept.length() % unit.length()).isZero();
            assertThat(kept).isNotEmpty();
        }
    }

    @Test
    void nameThatFitsExactlyIsNotCut() {
        String name = "n".repeat(OwnerDescription.MAX_MANAGER_CHARS);
        assertThat(OwnerDescription.encode(name, OwnerDescription.MAX_MANAGER_CHARS)).isEqualTo(name);
        String encoded = "é".repeat(OwnerDescription.MAX_MANAGER_CHARS / 6);
        assertThat(OwnerDescription.decode(OwnerDescription.encode(encoded, OwnerDescription.MAX_MANAGER_CHARS)))
                .isEqualTo(encoded);
    }

    @Test
    void unpairedSurrogateInAThreadNameIsAQuestionMark() {
        String encoded = OwnerDescription.encode("a\uD800b", 128);
        assertPrintable(encoded);
        assertThat(OwnerDescription.decode(encoded)).isEqualTo("a?b");
    }

    @Test
    void ownersOfOlderVersionsAndStrangersReadAsUnknown() {
        assertThat(OwnerDescription.parse("0123456789abcdef:17")).isEqualTo(new OwnerDescription.Parsed(
                "0123456789abcdef:17", "unknown", "unknown", Optional.empty()));
        assertThat(OwnerDescription.parse("token:abc:1").managerName()).isEqualTo("unknown");
        assertThat(OwnerDescription.parse("id;only-two").managerName()).isEqualTo("unknown");
        assertThat(OwnerDescription.parse("id;only-two").ownerId()).isEqualTo("id");
        OwnerDescription.Parsed noTime = OwnerDescription.parse("id;soon;mgr;thr%");
        assertThat(noTime.acquiredAt()).isEmpty();
        assertThat(noTime.managerName()).isEqualTo("mgr");
        assertThat(noTime.threadName()).isEqualTo("thr%");
    }

    @Test
    void fieldsALaterVersionAddsAreIgnored() {
        OwnerDescription.Parsed parsed = OwnerDescription.parse("id:1;5;mgr;thread;future=1");
        assertThat(parsed.threadName()).isEqualTo("thread");
        assertThat(parsed.acquiredAt()).contains(Instant.ofEpochMilli(5));
    }

    @Test
    void threadNameIsCachedPerThreadAndFollowsARename() throws Exception {
        String[] seen = new String[3];
        Thread worker = new Thread(() -> {
            seen[0] = OwnerDescription.currentThread();
            seen[1] = OwnerDescription.currentThread();
            Thread.currentThread().setName("renamed | now");
            seen[2] = OwnerDescription.currentThread();
        }, "first name");
        worker.start();
        worker.join();
        assertThat(seen[0]).isEqualTo("first%20name").isSameAs(seen[1]);
        assertThat(seen[2]).isEqualTo("renamed%20%7C%20now");
    }

    @Test
    void wallClockFromNanoTimeFollowsTheWallClock() {
        for (int i = 0; i < 1000; i++) {
            long before = System.currentTimeMillis();
            long derived = OwnerDescription.wallMillis(System.nanoTime());
            long after = System.currentTimeMillis();
            assertThat(derived).isBetween(before - 1, after + 1);
        }
        long now = System.nanoTime();
        assertThat(OwnerDescription.wallMillis(now + 5_000_000_000L) - OwnerDescription.wallMillis(now))
                .as("a later nanoTime far beyond the reread interval").isBetween(4_990L, 5_010L);
    }

    private static void assertPrintable(String owner) {
        assertThat(owner.chars().allMatch(c -> c >= '!' && c <= '~')).as("printable ASCII: %s", owner).isTrue();
        assertThat(owner).as("no characters stores frame values with").doesNotContain("|", "\\");
    }
}
