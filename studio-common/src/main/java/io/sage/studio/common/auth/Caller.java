package io.sage.studio.common.auth;

/**
 * Who sent a request, as established by {@link AuthFilter}: a name (the token's name, the OIDC principal, or
 * {@code local} in mode {@code none}) and a role.
 */
public record Caller(String name, StudioRole role) {

    /** Everyone, in mode {@code none}: the single local user. */
    public static final Caller LOCAL = new Caller("local", StudioRole.ADMIN);
}
