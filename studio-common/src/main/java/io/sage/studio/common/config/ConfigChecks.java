package io.sage.studio.common.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMapping.NamingStrategy;
import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.ConfigValidator;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import io.smallrye.config.common.utils.StringUtil;

/**
 * Checks the studio's own {@code @ConfigMapping}s when the configuration is read, so a service with a setting out of
 * range refuses to start and names every such setting at once (property and environment variable). The rules sit on
 * the mapping's methods: {@link Range}, {@link NotBlank}, and {@link Holds} for a rule across settings; the groups of
 * a mapping (its methods that return one of the studio's interfaces) are checked too.
 *
 * <p>Not Bean Validation: with one constraint on any config mapping, Quarkus 3.33's Hibernate Validator extension
 * builds a validator over every config class of every extension (216 in chat-switch-service) when the service
 * starts, a third of its start-up work on the main thread. These few rules need none of that. {@link
 * ConfigChecksCustomizer} installs this validator in every service that has studio-common.
 */
public final class ConfigChecks implements ConfigValidator {

    /**
     * The studio's own mappings and groups; JDK types ({@code List}, {@code Map}) and enums are values, and the
     * mappings of Quarkus and its extensions (which SmallRye hands to the validator too) carry none of these rules.
     */
    private static final String STUDIO_PACKAGE = "io.sage.studio.";

    @Override
    public void validateMapping(Class<?> mappingClass, String prefix, Object mapping) {
        if (!mappingClass.getName().startsWith(STUDIO_PACKAGE)) {
            return; // not one of ours: no reflection over Quarkus's 200-odd mappings at start-up
        }
        List<String> problems = problems(mappingClass, prefix, mapping);
        if (!problems.isEmpty()) {
            throw new ConfigValidationException(problems.stream()
                    .map(ConfigValidationException.Problem::new)
                    .toArray(ConfigValidationException.Problem[]::new));
        }
    }

    /** Every rule that {@code mapping} (a {@code type} read under {@code prefix}) breaks, ordered by property. */
    public static List<String> problems(Class<?> type, String prefix, Object mapping) {
        ConfigMapping root = type.getAnnotation(ConfigMapping.class);
        NamingStrategy naming = root != null ? root.namingStrategy() : NamingStrategy.KEBAB_CASE;
        List<String> problems = new ArrayList<>();
        check(type, prefix, mapping, naming, problems);
        return problems;
    }

    private static void check(
            Class<?> type, String prefix, Object group, NamingStrategy naming, List<String> problems) {
        Method[] methods = type.getMethods();
        Arrays.sort(methods, Comparator.comparing(Method::getName));
        for (Method method : methods) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            Range range = method.getAnnotation(Range.class);
            NotBlank notBlank = method.getAnnotation(NotBlank.class);
            Holds holds = method.getAnnotation(Holds.class);
            boolean nested = isGroup(method.getReturnType());
            if (range == null && notBlank == null && holds == null && !nested) {
                continue;
            }
            Object value = read(method, group);
            if (holds != null) {
                if (!Boolean.TRUE.equals(value)) {
                    problems.add(holds.value());
                }
                continue;
            }
            String property = property(prefix, method, naming);
            value = present(value);
            if (value == null) {
                continue;
            }
            if (nested) {
                check(method.getReturnType(), property, value, naming, problems);
            }
            if (range != null && value instanceof Number number && !within(number, range)) {
                problems.add(named(property) + " is " + value + ": it must be " + describe(range));
            }
            if (notBlank != null && value.toString().isBlank()) {
                problems.add(named(property) + " is blank: set it to a value");
            }
        }
    }

    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getName().startsWith(STUDIO_PACKAGE);
    }

    private static Object read(Method method, Object group) {
        try {
            return method.invoke(group);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("config method " + method + " cannot be read", e);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException runtime
                    ? runtime
                    : new IllegalStateException("config method " + method + " failed", e.getCause());
        }
    }

    /** The value itself, the value of a set optional, or {@code null} for an optional that is not set. */
    private static Object present(Object value) {
        if (value instanceof Optional<?> optional) {
            return optional.orElse(null);
        }
        if (value instanceof OptionalInt optional) {
            return optional.isPresent() ? optional.getAsInt() : null;
        }
        if (value instanceof OptionalLong optional) {
            return optional.isPresent() ? optional.getAsLong() : null;
        }
        if (value instanceof OptionalDouble optional) {
            return optional.isPresent() ? optional.getAsDouble() : null;
        }
        return value;
    }

    private static boolean within(Number number, Range range) {
        double value = number.doubleValue();
        return value >= range.min() && value <= range.max();
    }

    private static String describe(Range range) {
        boolean low = range.min() != Double.NEGATIVE_INFINITY;
        boolean high = range.max() != Double.POSITIVE_INFINITY;
        if (low && high) {
            return "between " + bound(range.min()) + " and " + bound(range.max());
        }
        return low ? "at least " + bound(range.min()) : "at most " + bound(range.max());
    }

    private static String bound(double bound) {
        return bound == Math.rint(bound) && Math.abs(bound) < 1e15
                ? Long.toString((long) bound)
                : Double.toString(bound);
    }

    /**
     * The property of a mapping method as SmallRye Config reads it: its {@code @WithName}, the parent's for
     * {@code @WithParentName}, else its name in the mapping's naming strategy (kebab case unless it says otherwise).
     */
    static String property(String prefix, Method method, NamingStrategy naming) {
        if (method.isAnnotationPresent(WithParentName.class)) {
            return prefix;
        }
        WithName withName = method.getAnnotation(WithName.class);
        String name = withName != null ? withName.value() : naming.apply(method.getName());
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** {@code maxCpuLoras} as {@code max-cpu-loras}: SmallRye Config's default naming strategy. */
    static String kebab(String name) {
        return NamingStrategy.KEBAB_CASE.apply(name);
    }

    /**
     * {@code studio.chat.keep-operations (STUDIO_CHAT_KEEP_OPERATIONS)}: both ways a user sets it, the variable named
     * by SmallRye's environment-source rule.
     */
    static String named(String property) {
        return property + " ("
                + StringUtil.replaceNonAlphanumericByUnderscores(property).toUpperCase(Locale.ROOT) + ")";
    }
}
