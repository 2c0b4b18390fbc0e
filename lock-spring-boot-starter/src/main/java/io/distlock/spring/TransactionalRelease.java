package io.distlock.spring;

import io.distlock.LockHandle;
import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Defers a release to the end of the current transaction. Separate from the interceptor, so that applications
 * without {@code spring-tx} never load it.
 */
final class TransactionalRelease {

    private TransactionalRelease() {
    }

    /**
     * @return true if a transaction is active on this thread and will release {@code handle} when it completes;
     *     false if the caller must release it now
     */
    static boolean releaseAfterCompletion(LockHandle handle) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return false;
        }
        try {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public int getOrder() {
                    // Last: every other synchronization's afterCompletion (e.g. a cache eviction) still runs under
                    // the lock. afterCompletion itself comes after all afterCommit callbacks.
                    return Ordered.LOWEST_PRECEDENCE;
                }

                @Override
                public void afterCompletion(int status) {
                    handle.close();
                }
            });
            return true;
        } catch (IllegalStateException e) {
            // Synchronization was just deactivated (the transaction is completing on this thread): release now.
            return false;
        }
    }
}
