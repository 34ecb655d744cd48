package io.sage.studio.common.auth;

/** How callers prove who they are ({@code studio.auth.mode}). */
public enum AuthMode {

    /** Nobody is asked: every caller is the local admin. Only allowed on a loopback address. */
    NONE,
    /** Bearer tokens listed, each with a role, in {@code studio.auth.tokens-file}. */
    TOKEN,
    /** Bearer access tokens of an OIDC provider (quarkus-oidc), the role from a claim. */
    OIDC
}
