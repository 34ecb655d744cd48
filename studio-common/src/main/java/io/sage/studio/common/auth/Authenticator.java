package io.sage.studio.common.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiConsumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.CredentialsFile.Expired;
import io.sage.studio.common.auth.CredentialsFile.Valid;
import io.sage.studio.common.auth.CredentialsFile.Verdict;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Turns a request's credentials into a {@link Caller}, in the configured {@link AuthMode}, and refuses to start a
 * service whose authentication settings are unsafe or incomplete.
 */
@ApplicationScoped
public class Authenticator {

    private static final Logger LOG = Logger.getLogger(Authenticator.class);
    private static final BiConsumer<RoutingContext, Throwable> LEAVE_FAILURE_TO_FILTER = (request, failure) -> {};

    private final AuthConfig config;
    private final Config settings;
    private final ServiceToken serviceToken;
    private volatile CredentialsFile tokens;
    private volatile CredentialsFile apiKeys;

    public Authenticator(AuthConfig config, Config settings, ServiceToken serviceToken) {
        this.config = config;
        this.settings = settings;
        this.serviceToken = serviceToken;
    }

    void onStart(@Observes StartupEvent event) {
        String host =
                settings.getOptionalValue("quarkus.http.host", String.class).orElse("0.0.0.0");
        boolean oidcTenant = settings.getOptionalValue("quarkus.oidc.tenant-enabled", Boolean.class)
                .orElse(false);
        boolean oidcServer = settings.getOptionalValue("quarkus.oidc.auth-server-url", String.class)
                        .isPresent()
                || settings.getOptionalValue("quarkus.oidc.public-key", String.class)
                        .isPresent();
        checkSettings(config.mode(), host, config.tokensFile().isPresent(), oidcTenant, oidcServer);
        Clock clock = Clock.systemUTC();
        if (config.mode() == AuthMode.TOKEN) {
            tokens = CredentialsFile.load(config.tokensFile().orElseThrow(), config.reloadInterval(), clock);
        }
        if (config.mode() != AuthMode.NONE && config.openaiApiKeysFile().isPresent()) {
            apiKeys = CredentialsFile.load(config.openaiApiKeysFile().get(), config.reloadInterval(), clock);
        }
        LOG.infof(
                "authentication: mode %s%s%s%s",
                config.mode().name().toLowerCase(Locale.ROOT),
                tokens == null ? "" : ", " + tokens.size() + " tokens",
                apiKeys == null ? "" : ", " + apiKeys.size() + " API keys for /v1",
                serviceToken.authorization().isPresent() ? ", a service token" : "");
    }

    /**
     * The start-up rules: {@code none} only on a loopback address, {@code token} with a tokens file, {@code oidc}
     * with an enabled quarkus-oidc tenant that knows its provider (or its public key). Throws
     * {@link IllegalStateException} naming the setting to fix.
     */
    static void checkSettings(AuthMode mode, String host, boolean tokensFile, boolean oidcTenant, boolean oidcServer) {
        switch (mode) {
            case NONE -> {
                if (!isLoopback(host)) {
                    throw new IllegalStateException("studio.auth.mode=none lets anybody in, so it is only allowed when "
                            + "the service listens on a loopback address, but quarkus.http.host is " + host
                            + ": set studio.auth.mode to token or oidc (STUDIO_AUTH_MODE), or listen on 127.0.0.1");
                }
            }
            case TOKEN -> {
                if (!tokensFile) {
                    throw new IllegalStateException("studio.auth.mode=token needs studio.auth.tokens-file "
                            + "(STUDIO_AUTH_TOKENS_FILE): the JSON file of tokens and roles");
                }
            }
            case OIDC -> {
                if (!oidcTenant || !oidcServer) {
                    throw new IllegalStateException("studio.auth.mode=oidc needs quarkus.oidc.tenant-enabled=true and "
                            + "quarkus.oidc.auth-server-url (QUARKUS_OIDC_TENANT_ENABLED, QUARKUS_OIDC_AUTH_SERVER_URL)"
                            + " or quarkus.oidc.public-key");
                }
            }
        }
    }

    static boolean isLoopback(String host) {
        String bare = host.strip();
        if (bare.startsWith("[") && bare.endsWith("]")) {
            bare = bare.substring(1, bare.length() - 1);
        }
        if (bare.isEmpty() || bare.equals("0.0.0.0") || bare.equals("::")) {
            return false;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(bare)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Whether authentication is off ({@code studio.auth.mode=none}, loopback only). */
    public boolean disabled() {
        return config.mode() == AuthMode.NONE;
    }

    /** The caller of a request that needs {@code access}; fails with {@link AuthException} when it has none. */
    Uni<Caller> authenticate(RoutingContext request, Access access) {
        if (disabled()) {
            return Uni.createFrom().item(Caller.LOCAL);
        }
        Optional<String> bearer;
        try {
            bearer = bearer(request);
        } catch (AuthException e) {
            return Uni.createFrom().failure(e);
        }
        if (bearer.isPresent() && serviceToken.matches(bearer.get())) {
            return let(
                    request,
                    new Credential(Credential.Kind.SERVICE_TOKEN, bearer.get(), null),
                    new Caller(ServiceToken.CALLER_NAME, StudioRole.VIEWER));
        }
        if (access == Access.CHAT_API && apiKeys != null && bearer.isPresent()) {
            Verdict verdict = apiKeys.verify(bearer.get());
            if (verdict instanceof Valid key) {
                return let(
                        request,
                        new Credential(Credential.Kind.API_KEY, bearer.get(), null),
                        new Caller(key.name(), StudioRole.VIEWER));
            }
            if (verdict instanceof Expired expired) {
                return Uni.createFrom().failure(expired(expired));
            }
        }
        if (config.mode() == AuthMode.TOKEN) {
            if (bearer.isEmpty()) {
                return Uni.createFrom().failure(missing());
            }
            Verdict verdict = tokens.verify(bearer.get());
            if (verdict instanceof Valid valid) {
                return let(
                        request,
                        new Credential(Credential.Kind.TOKEN, bearer.get(), null),
                        new Caller(valid.name(), valid.role()));
            }
            if (verdict instanceof Expired expired) {
                return Uni.createFrom().failure(expired(expired));
            }
            return Uni.createFrom()
                    .failure(AuthException.unauthorized("invalid_token", "the bearer token is not valid"));
        }
        return oidc(request);
    }

    private Uni<Caller> oidc(RoutingContext request) {
        // Quarkus would answer a failed authentication itself (a bare 401); the filter answers in the studio shape.
        request.put(QuarkusHttpUser.AUTH_FAILURE_HANDLER, LEAVE_FAILURE_TO_FILTER);
        return QuarkusHttpUser.getSecurityIdentity(request, null)
                .onFailure(failure -> !(failure instanceof AuthException))
                .transform(failure -> AuthException.unauthorized(
                        "invalid_token",
                        "the access token is not valid (expired, not yet valid, wrong issuer or audience, or a bad "
                                + "signature)"))
                .map(identity -> {
                    Caller caller = fromIdentity(identity);
                    Object expires = identity.getAttribute("quarkus.identity.expire-time");
                    request.put(
                            CREDENTIAL,
                            new Credential(
                                    Credential.Kind.OIDC,
                                    null,
                                    expires instanceof Number seconds
                                            ? Instant.ofEpochSecond(seconds.longValue())
                                            : null));
                    return caller;
                });
    }

    private Caller fromIdentity(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            throw missing();
        }
        String prefix = config.oidc().rolePrefix().orElse("");
        StudioRole best = null;
        for (String value : identity.getRoles()) {
            if (!value.startsWith(prefix)) {
                continue;
            }
            Optional<StudioRole> role = StudioRole.parse(value.substring(prefix.length()));
            if (role.isPresent() && (best == null || role.get().includes(best))) {
                best = role.get();
            }
        }
        String name = identity.getPrincipal().getName();
        if (best == null) {
            throw AuthException.forbidden(
                    "no_role",
                    "the token of '" + name + "' carries no studio role: its roles " + "claim needs " + prefix
                            + "viewer, " + prefix + "trainer or " + prefix + "admin");
        }
        return new Caller(name, best);
    }

    /** Routing-context key of the {@link Credential} that let a request in. */
    static final String CREDENTIAL = Authenticator.class.getName() + ".credential";

    /** How a request was let in, kept to check it again while the request stays open ({@link OpenRequests}). */
    record Credential(Kind kind, String bearer, Instant expiresAt) {

        enum Kind {
            SERVICE_TOKEN,
            API_KEY,
            TOKEN,
            OIDC
        }
    }

    private static <T> Uni<T> let(RoutingContext request, Credential credential, T caller) {
        request.put(CREDENTIAL, credential);
        return Uni.createFrom().item(caller);
    }

    /**
     * Why a credential that let a request in no longer would (revoked, expired, removed), or {@code null} while it
     * still passes.
     */
    String noLongerValid(Credential credential, Instant now) {
        if (credential.expiresAt() != null && !now.isBefore(credential.expiresAt())) {
            return "its credential expired at " + credential.expiresAt();
        }
        return switch (credential.kind()) {
            case SERVICE_TOKEN -> serviceToken.matches(credential.bearer()) ? null : "the service token changed";
            case API_KEY ->
                apiKeys != null && apiKeys.verify(credential.bearer()) instanceof Valid
                        ? null
                        : "its API key was removed or expired";
            case TOKEN -> {
                Verdict verdict = tokens.verify(credential.bearer());
                yield verdict instanceof Valid
                        ? null
                        : verdict instanceof Expired expired
                                ? "its token expired at " + expired.at()
                                : "its token was revoked";
            }
            case OIDC -> null;
        };
    }

    private static Optional<String> bearer(RoutingContext request) {
        String header = request.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String value = header.strip();
        int space = value.indexOf(' ');
        if (space < 0
                || !value.substring(0, space).equalsIgnoreCase("Bearer")
                || value.substring(space).isBlank()) {
            throw AuthException.unauthorized(
                    "invalid_token", "only bearer tokens are accepted: send 'Authorization: Bearer <token>'");
        }
        return Optional.of(value.substring(space + 1).strip());
    }

    private static AuthException missing() {
        return AuthException.unauthorized(
                "missing_token", "this endpoint needs a bearer token: send 'Authorization: Bearer <token>'");
    }

    private static AuthException expired(Expired expired) {
        return AuthException.unauthorized(
                "token_expired", "the token '" + expired.name() + "' expired at " + expired.at());
    }
}
