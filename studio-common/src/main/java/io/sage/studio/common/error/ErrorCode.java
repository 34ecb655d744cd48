package io.sage.studio.common.error;

import java.util.Objects;

/**
 * One error a service can answer: the stable code clients see in {@code error.code} and its {@link ErrorKind}.
 * Each service lists its codes in one enum implementing this interface ({@code ChatSwitchError},
 * {@code FinetuneError}, …); codes every service shares are in {@link CommonError}. See this package's DESIGN.md.
 */
public interface ErrorCode {

    /** The code on the wire, {@code snake_case}; never changes once released. */
    String code();

    /** What kind of failure this is; the REST edge derives the HTTP status from it. */
    ErrorKind kind();

    /**
     * A code that is not in any service's enum: one relayed from another service, or one made up at the edge.
     * Prefer an enum constant wherever the code is known.
     */
    static ErrorCode of(String code, ErrorKind kind) {
        return new Adhoc(Objects.requireNonNull(code, "code"), Objects.requireNonNull(kind, "kind"));
    }

    /** {@link #of}'s value. */
    record Adhoc(String code, ErrorKind kind) implements ErrorCode {}
}
