package io.sage.studio.common.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The value of a numeric setting of a {@code @ConfigMapping} lies in {@code [min, max]}, both inclusive; on an
 * {@code Optional} setting, only a value that is set is checked. {@link ConfigChecks} refuses the service's start
 * with every setting out of range, each named with its property and environment variable.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Range {

    /** The smallest value allowed. */
    double min() default Double.NEGATIVE_INFINITY;

    /** The largest value allowed. */
    double max() default Double.POSITIVE_INFINITY;
}
