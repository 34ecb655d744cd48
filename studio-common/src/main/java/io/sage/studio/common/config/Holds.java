package io.sage.studio.common.config;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A rule across several settings: a {@code default boolean} method of a {@code @ConfigMapping} (or of one of its
 * groups) that answers whether the rule holds. When it answers {@code false}, {@link ConfigChecks} refuses the
 * service's start with {@link #value()}, which names the settings involved and what to change.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Holds {

    /** What is wrong when the rule does not hold, for the person who configures the service. */
    String value();
}
