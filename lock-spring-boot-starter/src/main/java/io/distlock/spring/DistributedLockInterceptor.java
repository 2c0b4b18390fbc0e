package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockNotAcquiredException;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.ClassUtils;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;

/**
 * Takes the lock of a {@link DistributedLock} method around its invocation and releases it when the method returns,
 * or, inside a transaction, when the transaction completes. Thread safe.
 */
final class DistributedLockInterceptor implements MethodInterceptor {

    private static final boolean TRANSACTIONS = ClassUtils.isPresent(
            "org.springframework.transaction.support.TransactionSynchronizationManager",
            DistributedLockInterceptor.class.getClassLoader());

    private final ObjectProvider<LockManager> locks;
    private final LockKeyExpressions expressions;

    DistributedLockInterceptor(ObjectProvider<LockManager> locks, LockKeyExpressions expressions) {
        this.locks = locks;
        this.expressions = expressions;
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = target == null ? invocation.getMethod().getDeclaringClass()
                : AopUtils.getTargetClass(target);
        Method method = AopUtils.getMostSpecificMethod(invocation.getMethod(), targetClass);
        LockKeyExpressions.Parsed parsed = expressions.parsed(method, targetClass);
        if (parsed == null) {
            return invocation.proceed();
        }
        Object[] args = invocation.getArguments();
        String key = expressions.key(parsed, target, args);
        Duration wait = parsed.maxWait();
        LockManager manager = locks.getObject();
        Optional<LockHandle> acquired = wait.isZero() ? manager.tryLock(key) : manager.tryLock(key, wait);
        LockHandle handle = acquired.orElseThrow(() -> new LockNotAcquiredException(key, wait));
        boolean deferred = false;
        LockHandle previous = CurrentLock.enter(handle);
        try {
            Class<?>[] types = method.getParameterTypes();
            for (int i = 0; i < types.length && i < args.length; i++) {
                if (types[i] == LockHandle.class) {
                    args[i] = handle;
                }
            }
            try {
                return invocation.proceed();
            } finally {
                // Registered after the method, so that it runs after the synchronizations the method registered.
                deferred = TRANSACTIONS && TransactionalRelease.releaseAfterCompletion(handle);
            }
        } finally {
            CurrentLock.restore(previous);
            if (!deferred) {
                handle.close();
            }
        }
    }
}
