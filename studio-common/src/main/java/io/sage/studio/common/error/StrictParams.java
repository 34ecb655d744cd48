package io.sage.studio.common.error;

import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.util.Locale;
import java.util.function.Function;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.MatrixParam;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.ext.ParamConverter;
import jakarta.ws.rs.ext.ParamConverterProvider;
import jakarta.ws.rs.ext.Provider;

/**
 * Request parameters of type {@code boolean} and whole numbers parsed strictly, answered 400 {@code invalid_field}
 * naming the parameter when they do not parse. Without it {@code ?force=yes} was {@code false} (JAX-RS reads a
 * boolean with {@link Boolean#valueOf(String)}: anything but "true" is false), so a user who asked to force got the
 * opposite without a word, and {@code ?tail=abc} answered 404, as JAX-RS prescribes for a query parameter that does
 * not convert, which reads as "no such task".
 *
 * <p>Booleans take {@code true} or {@code false} in any case; numbers take an optional sign and digits, in range.
 * The error names the parameter and echoes the caller's value, cut at 64 characters.
 */
@Provider
public class StrictParams implements ParamConverterProvider {

    private static final int ECHO_LIMIT = 64;

    @Override
    @SuppressWarnings("unchecked")
    public <T> ParamConverter<T> getConverter(Class<T> rawType, Type genericType, Annotation[] annotations) {
        String name = name(annotations);
        if (rawType == boolean.class || rawType == Boolean.class) {
            return (ParamConverter<T>) new Strict<>(name, "true or false", StrictParams::parseBoolean);
        }
        if (rawType == int.class || rawType == Integer.class) {
            return (ParamConverter<T>) new Strict<>(name, "a whole number", Integer::valueOf);
        }
        if (rawType == long.class || rawType == Long.class) {
            return (ParamConverter<T>) new Strict<>(name, "a whole number", Long::valueOf);
        }
        return null;
    }

    private static Boolean parseBoolean(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException(value);
        };
    }

    /** The parameter's name as the request spells it, from its JAX-RS annotation. */
    static String name(Annotation[] annotations) {
        if (annotations != null) {
            for (Annotation a : annotations) {
                if (a instanceof QueryParam q) {
                    return q.value();
                }
                if (a instanceof PathParam p) {
                    return p.value();
                }
                if (a instanceof HeaderParam h) {
                    return h.value();
                }
                if (a instanceof FormParam f) {
                    return f.value();
                }
                if (a instanceof CookieParam c) {
                    return c.value();
                }
                if (a instanceof MatrixParam m) {
                    return m.value();
                }
            }
        }
        return "parameter";
    }

    private record Strict<T>(String name, String expected, Function<String, T> parse) implements ParamConverter<T> {

        @Override
        public T fromString(String value) {
            if (value == null) {
                return null;
            }
            try {
                return parse.apply(value.strip());
            } catch (IllegalArgumentException e) {
                String shown = value.length() > ECHO_LIMIT ? value.substring(0, ECHO_LIMIT) + "…" : value;
                String message = name + " must be " + expected + ", got '" + shown + "'";
                // A WebApplicationException passes the framework unchanged (any other one would become a 404 for a
                // query parameter); ApiExceptionMappers answers with its StudioException cause.
                throw new BadRequestException(message, StudioException.invalidField(name, message));
            }
        }

        @Override
        public String toString(T value) {
            return value == null ? null : value.toString();
        }
    }
}
