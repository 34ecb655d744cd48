package io.sage.studio.common.auth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

/**
 * Where a request comes from, checked before anything else in every mode (also {@code none}, where nothing else
 * is): its {@code Host} must be one of {@code studio.http.allowed-hosts} (else 421, against DNS rebinding), and a
 * request that may change state ({@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE}) must not come from
 * another site (else 403, against cross-site form posts and fetches). A browser says where a request comes from in
 * {@code Origin} (and {@code Sec-Fetch-Site}); the studio's UI is same-origin, the CLI and SDKs send neither, so
 * they pass. Kubelet probes ({@code /q/health}) reach pods by IP and are let through without a {@code Host} check.
 */
@ApplicationScoped
public class RequestGuard {

    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private final boolean anyHost;
    private final Set<String> exactHosts;
    private final List<String> hostSuffixes;
    private final Set<String> extraOrigins;

    @Inject
    public RequestGuard(HttpAccessConfig config) {
        this(config.allowedHosts(), config.allowedOrigins().orElse(List.of()));
    }

    RequestGuard(List<String> allowedHosts, List<String> allowedOrigins) {
        boolean any = false;
        Set<String> exact = new HashSet<>();
        List<String> suffixes = new ArrayList<>();
        for (String entry : allowedHosts) {
            String host = normalizeHost(entry.strip());
            if (host.isEmpty()) {
                continue;
            }
            if (host.equals("*")) {
                any = true;
            } else if (host.startsWith("*.")) {
                suffixes.add(host.substring(1));
            } else {
                exact.add(host);
            }
        }
        this.anyHost = any;
        this.exactHosts = Set.copyOf(exact);
        this.hostSuffixes = List.copyOf(suffixes);
        Set<String> origins = new HashSet<>();
        for (String origin : allowedOrigins) {
            if (!origin.isBlank()) {
                origins.add(stripSlash(origin.strip().toLowerCase(Locale.ROOT)));
            }
        }
        this.extraOrigins = Set.copyOf(origins);
    }

    /** Why a request is refused. */
    public record Refusal(int status, String code, String message) {}

    /** The refusal of a request, or empty when it may go on to authentication. */
    public Optional<Refusal> check(HttpServerRequest request, String path) {
        if (!anyHost && !path.startsWith("/q/health")) {
            String authority = request.getHeader("Host");
            if (authority == null && request.authority() != null) {
                authority = request.authority().host();
            }
            if (authority != null && !hostAllowed(authority)) {
                return Optional.of(new Refusal(
                        421,
                        "host_not_allowed",
                        "this service does not answer to the host '"
                                + printable(authority)
                                + "': add it to studio.http.allowed-hosts (STUDIO_HTTP_ALLOWED_HOSTS) if "
                                + "it is yours"));
            }
        }
        if (SAFE.contains(request.method())) {
            return Optional.empty();
        }
        String origin = request.getHeader("Origin");
        if (origin != null) {
            if (!originAllowed(origin)) {
                return Optional.of(new Refusal(
                        403,
                        "cross_origin_request",
                        "a page from '" + printable(origin)
                                + "' may not change anything here: only the studio's own pages (or "
                                + "studio.http.allowed-origins) may send "
                                + request.method().name() + " requests"));
            }
            return Optional.empty();
        }
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null && site.equalsIgnoreCase("cross-site")) {
            return Optional.of(new Refusal(
                    403,
                    "cross_origin_request",
                    "a cross-site request may not change anything " + "here (Sec-Fetch-Site: cross-site)"));
        }
        return Optional.empty();
    }

    /** Whether a {@code Host} value ({@code name[:port]}, {@code [v6][:port]}) names this service. */
    public boolean hostAllowed(String authority) {
        if (anyHost) {
            return true;
        }
        String host = normalizeHost(hostOf(authority));
        if (exactHosts.contains(host)) {
            return true;
        }
        for (String suffix : hostSuffixes) {
            if (host.endsWith(suffix) && host.length() > suffix.length()) {
                return true;
            }
        }
        return false;
    }

    boolean originAllowed(String origin) {
        String value = origin.strip();
        if (extraOrigins.contains(stripSlash(value.toLowerCase(Locale.ROOT)))) {
            return true;
        }
        if (value.equals("null")) {
            return false;
        }
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme();
            if (uri.getHost() == null
                    || scheme == null
                    || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                return false;
            }
            return hostAllowed(uri.getHost());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static String hostOf(String authority) {
        String value = authority.strip();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            return end < 0 ? value : value.substring(0, end + 1);
        }
        int colon = value.indexOf(':');
        if (colon >= 0 && value.indexOf(':', colon + 1) < 0) {
            return value.substring(0, colon);
        }
        return value;
    }

    /** Lower case, no trailing dot, IPv6 literals without brackets. */
    private static String normalizeHost(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        if (lower.startsWith("[") && lower.endsWith("]")) {
            lower = lower.substring(1, lower.length() - 1);
        }
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    private static String stripSlash(String origin) {
        return origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    }

    /** At most 100 printable ASCII characters of a header, for an error message. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length() && out.length() < 100; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
