package io.distlock.spring;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parses every {@link DistributedLock} of a bean's class when the bean is created, so that a bad key expression, a
 * bad wait or an annotation on a method no proxy can intercept stops the start-up, naming the bean and the method,
 * instead of surfacing at the first call or never.
 */
final class DistributedLockMethodCheck implements BeanPostProcessor {

    private final LockKeyExpressions expressions;
    private final Map<Class<?>, Boolean> checked = new ConcurrentHashMap<>();

    DistributedLockMethodCheck(LockKeyExpressions expressions) {
        this.expressions = expressions;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = ClassUtils.getUserClass(bean);
        // A JDK proxy made by a factory (a repository, an HTTP client interface) has only final methods; its
        // interface methods are intercepted through the proxy's interfaces, so there is nothing to check here.
        if (Proxy.isProxyClass(type) || !AnnotationUtils.isCandidateClass(type, DistributedLock.class)
                || checked.containsKey(type)) {
            return bean;
        }
        try {
            ReflectionUtils.doWithMethods(type, method -> expressions.parsed(method, type),
                    method -> !method.isBridge() && !method.isSynthetic());
        } catch (IllegalStateException e) {
            throw new BeanCreationException(beanName, e.getMessage(), e);
        }
        checked.put(type, Boolean.TRUE);
        return bean;
    }
}
