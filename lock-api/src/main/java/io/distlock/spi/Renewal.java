package io.distlock.spi;

import java.util.Objects;

/**
 * One lock of a batched renewal ({@link LockBackend#renewAll}): the prefixed key, the owner that holds it, and
 * optionally what the backend prepared for renewing it. Immutable.
 *
 * <p>The core asks the backend for each handle's renewal once ({@link LockBackend#renewal}), keeps it with the handle
 * and passes that same object to every renewal of the lock, so a backend can compute once what it would otherwise
 * compute at every renewal (the store's encoding of the key and owner, a routing slot) and attach it here. A backend
 * that attaches nothing, and any code that makes renewals with {@link #Renewal(String, String)}, sees
 * {@code attachment()} as null; a backend must accept renewals without its attachment, or with another's.
 *
 * @param key the prefixed key, as {@link LockBackend#tryAcquire} was given it
 * @param owner the owner that acquired it
 * @param attachment what the backend prepared for renewing this lock, opaque to the core; may be null
 */
public record Renewal(String key, String owner, Object attachment) {

    /**
     * @param key the prefixed key
     * @param owner the owner
     * @param attachment what the backend prepared, or null
     * @throws NullPointerException if the key or the owner is null
     */
    public Renewal {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(owner, "owner must not be null");
    }

    /**
     * A renewal with nothing attached.
     *
     * @param key the prefixed key
     * @param owner the owner
     * @throws NullPointerException if an argument is null
     */
    public Renewal(String key, String owner) {
        this(key, owner, null);
    }
}
