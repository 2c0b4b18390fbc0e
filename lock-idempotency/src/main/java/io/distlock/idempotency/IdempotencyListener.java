package io.distlock.idempotency;

/**
 * Told how each {@link IdempotencyKeys#execute} call ended and how long it took, for metrics
 * ({@link IdempotencyKeys.Builder#listener}). Called once per call, on the caller's thread, after the outcome is
 * decided and before the call returns or throws; it must be thread safe and fast. Whatever it throws is caught and
 * logged (at warn the first time, at debug after that) and never changes the call's result.
 */
@FunctionalInterface
public interface IdempotencyListener {

    /** How an {@link IdempotencyKeys#execute} call ended. */
    enum Outcome {
        /** The operation ran in this call and its result was stored. */
        EXECUTED,
        /** A stored result was returned without running the operation. */
        REPLAYED,
        /** Another request with the key was running: {@link RequestInProgressException}. */
        IN_PROGRESS,
        /** The key was used before with another fingerprint: {@link KeyReusedException}. */
        KEY_REUSED,
        /**
         * Anything else: the operation threw, a recorded failure was replayed, the result could not be stored or the
         * lock was lost during the run, or the lock backend or the store failed. Invalid arguments are not reported.
         */
        FAILED
    }

    /**
     * One call ended.
     *
     * @param outcome how it ended
     * @param elapsedNanos from the start of the call to its end, including the operation
     */
    void finished(Outcome outcome, long elapsedNanos);
}
