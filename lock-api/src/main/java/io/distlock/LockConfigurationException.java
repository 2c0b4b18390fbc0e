package io.distlock;

/**
 * The store answered but refused this client's configuration: a wrong or missing password, an ACL user without the
 * commands distlock needs, a database index or namespace that does not exist, a TLS handshake that failed, a cluster
 * name that does not match. Retrying does not help; fixing the configuration does. The first line of the message
 * names the real cause in plain words; the cause is the client's exception.
 *
 * <p>A subclass of {@link LockBackendException}, so code that treats every store failure alike keeps working, while
 * an alert or a start-up check can tell "unreachable" (a plain {@code LockBackendException}) from "misconfigured"
 * (this type). Like its parent it never means "held by someone else".
 */
public class LockConfigurationException extends LockBackendException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was refused and why, in plain words, without secrets
     */
    public LockConfigurationException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what was refused and why, in plain words, without secrets
     * @param cause the client's exception
     */
    public LockConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
