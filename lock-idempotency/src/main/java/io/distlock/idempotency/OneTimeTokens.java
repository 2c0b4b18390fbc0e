package io.distlock.idempotency;

import io.distlock.idempotency.spi.RecordStore;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * One-time tokens: issue one with a form (scoped, e.g. to a user and the form), consume it with the submission. Of
 * any number of concurrent submissions carrying the token, exactly one gets {@link TokenOutcome#CONSUMED}; the others
 * get {@link TokenOutcome#ALREADY_CONSUMED}. Tokens are 128 random bits from {@link SecureRandom}, base64url, so
 * they cannot be guessed; a token is valid only in the scope it was issued for.
 *
 * <p>Consuming is one atomic compare-and-set in the store (two round trips when it fails, to tell a duplicate from an
 * unknown token). A consumed token is remembered for {@link Builder#consumedRetention(Duration)} (default 1 hour)
 * to answer late duplicates with {@code ALREADY_CONSUMED}; after that it reads as unknown.
 *
 * <p>Store outages throw {@link io.distlock.LockBackendException}. Thread safe.
 */
public final class OneTimeTokens {

    private static final byte[] ISSUED = {1};
    private static final byte[] CONSUMED = {2};
    private static final int TOKEN_BYTES = 16;
    private static final int TOKEN_CHARS = 22;
    private static final int MAX_SCOPE_BYTES = 256;
    private static final String PREFIX = "token:";

    private final RecordStore store;
    private final Duration consumedRetention;
    private final SecureRandom random = new SecureRandom();

    private OneTimeTokens(RecordStore store, Duration consumedRetention) {
        this.store = store;
        this.consumedRetention = consumedRetention;
    }

    /**
     * Tokens on {@code store} with the default retention of consumed tokens.
     *
     * @param store the store the tokens live in; the caller closes it
     * @return the tokens
     */
    public static OneTimeTokens on(RecordStore store) {
        return builder().store(store).build();
    }

    /**
     * Starts a builder; the store is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Issues a token for {@code scope}, valid for {@code ttl}.
     *
     * @param scope what the token is for, e.g. {@code checkout:42}
     * @param ttl how long the token can be consumed
     * @return the token, to render into the form
     * @throws IllegalArgumentException if the scope is blank or longer than 256 UTF-8 bytes, or ttl is not positive
     * @throws io.distlock.LockBackendException if the store could not be reached in time
     * @throws IllegalStateException if the store is closed
     */
    public String issue(String scope, Duration ttl) {
        Records.checkKey("token scope", scope, MAX_SCOPE_BYTES);
        Records.checkTtl(ttl);
        byte[] bytes = new byte[TOKEN_BYTES];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        if (!store.putIfAbsent(storeKey(scope, token), ISSUED, ttl)) {
            // 2^-128: a collision means the random source is broken, not bad luck.
            throw new IllegalStateException("a freshly drawn token already existed; the random source is broken");
        }
        return token;
    }

    /**
     * Consumes {@code token} of {@code scope}: exactly one of all calls with it gets {@link TokenOutcome#CONSUMED}.
     *
     * @param scope the scope the token was issued for
     * @param token the token the client sent back
     * @return whether this call consumed it, or why not
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the scope is blank or too long
     * @throws io.distlock.LockBackendException if the store could not be reached in time (the token may or may not
     *     have been consumed then)
     */
    public TokenOutcome consume(String scope, String token) {
        Records.checkKey("token scope", scope, MAX_SCOPE_BYTES);
        Objects.requireNonNull(token, "token must not be null");
        if (!wellFormed(token)) {
            return TokenOutcome.UNKNOWN_OR_EXPIRED;
        }
        String key = storeKey(scope, token);
        if (store.replace(key, ISSUED, CONSUMED, consumedRetention)) {
            return TokenOutcome.CONSUMED;
        }
        return store.get(key).filter(value -> value.length == 1 && value[0] == CONSUMED[0]).isPresent()
                ? TokenOutcome.ALREADY_CONSUMED : TokenOutcome.UNKNOWN_OR_EXPIRED;
    }

    private static boolean wellFormed(String token) {
        if (token.length() != TOKEN_CHARS) {
            return false;
        }
        for (int i = 0; i < TOKEN_CHARS; i++) {
            char c = token.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String storeKey(String scope, String token) {
        // The token has a fixed length and no ':' ambiguity matters: it is last and of a fixed alphabet.
        return PREFIX + scope + ":" + token;
    }

    /** Builds {@link OneTimeTokens}. */
    public static final class Builder {
        private RecordStore store;
        private Duration consumedRetention = Duration.ofHours(1);

        private Builder() {
        }

        /**
         * Where tokens live; required. The caller closes it.
         *
         * @param store the record store
         * @return this builder
         */
        public Builder store(RecordStore store) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            return this;
        }

        /**
         * How long a consumed token is remembered as consumed (default 1 hour).
         *
         * @param consumedRetention how long, positive
         * @return this builder
         */
        public Builder consumedRetention(Duration consumedRetention) {
            Records.checkTtl(consumedRetention);
            this.consumedRetention = consumedRetention;
            return this;
        }

        /**
         * Builds the tokens.
         *
         * @return the tokens, thread safe
         * @throws NullPointerException if the store is not set
         */
        public OneTimeTokens build() {
            Objects.requireNonNull(store, "store must be set");
            return new OneTimeTokens(store, consumedRetention);
        }
    }
}
