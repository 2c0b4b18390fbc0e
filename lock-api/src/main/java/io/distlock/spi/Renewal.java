package io.distlock.spi;

import java.util.Objects;

/**
 * One lock of a batched renewal ({@link LockBackend#renewAll}): the prefixed key and the owner that holds it.
 * Immutable.
 *
 * @param key the prefixed key, as {@link LockBackend#tryAcquire} was given it
 * @param owner the owner that acquired it
 */
public record Renewal(String key, String owner) {

    /**
     * @param key the prefixed key
     * @param owner the owner
     * @throws NullPointerException if an argument is null
     */
    public Renewal {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(owner, "owner must not be null");
    }
}
