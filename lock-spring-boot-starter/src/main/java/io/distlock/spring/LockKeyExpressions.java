package io.distlock.spring;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.ExpressionState;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.OpPlus;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parses and caches the {@link DistributedLock} of each method once (at start-up, by
 * {@link DistributedLockMethodCheck}, or at the first call) and evaluates its key for a call. Thread safe.
 */
final class LockKeyExpressions {

    /** What one annotated method locks, parsed. */
    record Parsed(Method method, String source, Expression key, Duration maxWait) {
    }

    /** The root object of key expressions: {@code #root.method}, {@code #root.args}, {@code #root.target}. */
    record Root(Method method, Object[] args, Object target) {
    }

    private final SpelExpressionParser parser = new SpelExpressionParser();
    private final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();
    private final Map<MethodClassKey, Parsed> cache = new ConcurrentHashMap<>();
    private final BeanFactoryResolver beans;

    LockKeyExpressions(BeanFactory beanFactory) {
        this.beans = new BeanFactoryResolver(beanFactory);
    }

    /**
     * The parsed annotation of {@code method} as called on {@code targetClass}, or null if it has none.
     *
     * @throws IllegalStateException if the key or the wait does not parse, or the method cannot be intercepted,
     *     naming the method
     */
    Parsed parsed(Method method, Class<?> targetClass) {
        return cache.computeIfAbsent(new MethodClassKey(method, targetClass), k -> parse(method));
    }

    private Parsed parse(Method method) {
        DistributedLock annotation = AnnotatedElementUtils.findMergedAnnotation(method, DistributedLock.class);
        if (annotation == null) {
            return null;
        }
        String where = describe(method);
        int modifiers = method.getModifiers();
        String unreachable = Modifier.isStatic(modifiers) ? "static" : Modifier.isPrivate(modifiers) ? "private"
                : Modifier.isFinal(modifiers) ? "final" : null;
        if (unreachable != null) {
            throw new IllegalStateException("@DistributedLock on " + where + " would never take effect: the method is "
                    + unreachable + ", so no proxy can intercept it; make it a public (or protected) non-final "
                    + "instance method, or remove the annotation");
        }
        String source = annotation.key();
        if (source == null || source.isBlank()) {
            throw new IllegalStateException("@DistributedLock on " + where + " has a blank key expression");
        }
        Expression key;
        try {
            key = parser.parseExpression(source);
        } catch (ParseException e) {
            throw new IllegalStateException("@DistributedLock on " + where + ": key '" + source
                    + "' is not a valid SpEL expression: " + e.getMessage(), e);
        }
        Duration maxWait;
        try {
            maxWait = DurationStyle.detectAndParse(annotation.maxWait());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("@DistributedLock on " + where + ": maxWait '" + annotation.maxWait()
                    + "' is not a duration (use e.g. 0s, 500ms, 2s or PT2S)", e);
        }
        if (maxWait.isNegative()) {
            throw new IllegalStateException("@DistributedLock on " + where + ": maxWait must not be negative, got '"
                    + annotation.maxWait() + "'");
        }
        return new Parsed(method, source, key, maxWait);
    }

    /**
     * Evaluates the key of one call.
     *
     * @throws IllegalArgumentException if the key evaluates to null or blank, or its evaluation fails, naming the
     *     method and the expression
     */
    String key(Parsed parsed, Object target, Object[] args) {
        MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
                new Root(parsed.method(), args, target), parsed.method(), args, parameterNames);
        context.setBeanResolver(beans);
        Object value;
        try {
            value = parsed.key().getValue(context);
        } catch (EvaluationException e) {
            throw new IllegalArgumentException("@DistributedLock key '" + parsed.source() + "' of "
                    + describe(parsed.method()) + " could not be evaluated: " + e.getMessage(), e);
        }
        if (value == null) {
            throw new IllegalArgumentException("@DistributedLock key '" + parsed.source() + "' of "
                    + describe(parsed.method()) + " evaluated to null; refusing to lock a key that would be the "
                    + "same for every call");
        }
        if (parsed.key() instanceof SpelExpression spel) {
            rejectNullParts(parsed, spel.getAST(), new ExpressionState(context));
        }
        String key = value.toString();
        if (key.isBlank()) {
            throw new IllegalArgumentException("@DistributedLock key '" + parsed.source() + "' of "
                    + describe(parsed.method()) + " evaluated to a blank string");
        }
        return key;
    }

    /**
     * SpEL turns {@code 'user:' + null} into {@code "user:null"}, which would make every call whose parameter is
     * null contend for one key. Concatenations are checked part by part (only through {@code +} nodes: parts inside
     * other constructs may depend on their surroundings, such as {@code #this} in a projection).
     */
    private static void rejectNullParts(Parsed parsed, SpelNode node, ExpressionState state) {
        if (!(node instanceof OpPlus)) {
            return;
        }
        for (int i = 0; i < node.getChildCount(); i++) {
            SpelNode part = node.getChild(i);
            if (part instanceof OpPlus) {
                rejectNullParts(parsed, part, state);
            } else if (part.getValue(state) == null) {
                throw new IllegalArgumentException("@DistributedLock key '" + parsed.source() + "' of "
                        + describe(parsed.method()) + ": its part '" + part.toStringAST() + "' evaluated to null; "
                        + "refusing to lock a key that contains 'null' for every such call");
            }
        }
    }

    static String describe(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName() + "("
                + String.join(", ", java.util.Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
                .toList()) + ")";
    }
}
