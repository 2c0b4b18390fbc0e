package io.distlock;

/**
 * The backend could not answer within the operation timeout, or failed (clause 9). It never means "held by someone
 * else": whether the key is free is unknown. The message names the key and the backend; the cause is the client's
 * exception.
 */
public class LockBackendException extends LockException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the key and the backend
     */
    public LockBackendException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the backend's failure.
     *
     * @param message what failed, naming the key and the backend
     * @param cause the backend client's exception
     */
    public LockBackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
