package io.distlock.spring.web;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdempotencyKeyHeaderTest {

    @Test
    void structured_field_strings_and_bare_tokens_give_the_same_key() {
        assertThat(IdempotencyKeyHeader.parse("\"8e03978e-40d5-43e8\"")).isEqualTo("8e03978e-40d5-43e8");
        assertThat(IdempotencyKeyHeader.parse("8e03978e-40d5-43e8")).isEqualTo("8e03978e-40d5-43e8");
        assertThat(IdempotencyKeyHeader.parse("  abc  ")).isEqualTo("abc");
    }

    @Test
    void quoted_strings_may_hold_spaces_and_escaped_quotes_and_backslashes() {
        assertThat(IdempotencyKeyHeader.parse("\"a b \\\"c\\\" \\\\ d\"")).isEqualTo("a b \"c\" \\ d");
    }

    @Test
    void malformed_values_are_refused_with_a_reason() {
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("\"open")).hasMessageContaining("closed by");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("\"a\" b")).hasMessageContaining("nothing after it");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("\"a\\nb\"")).hasMessageContaining("backslash");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("a b")).hasMessageContaining("without spaces");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("\"\"")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("ключ")).hasMessageContaining("visible ASCII");
        assertThatThrownBy(() -> IdempotencyKeyHeader.parse("k".repeat(256))).hasMessageContaining("at most 255");
        assertThat(IdempotencyKeyHeader.parse("k".repeat(255))).hasSize(255);
    }
}
