package io.sage.studio.gateway.proxy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Where a proxied request goes: scheme, host, port and a base path parsed once from a base URL, plus the
 * {@code Authorization} value the gateway adds itself (the cloud API key). {@link #toString()} never shows
 * that secret.
 */
public final class UpstreamTarget {

    private final String baseUrl;
    private final String host;
    private final int port;
    private final boolean ssl;
    private final String basePath;
    private final String authorization;
    /** The {@code Host} header: the port only when it is not the scheme's. */
    private final String hostHeader;
    /** Identifies the connections this target can share: scheme, host and port. */
    private final String endpoint;

    private UpstreamTarget(String baseUrl, String host, int port, boolean ssl, String basePath, String authorization) {
        this.baseUrl = baseUrl;
        this.host = host;
        this.port = port;
        this.ssl = ssl;
        this.basePath = basePath;
        this.authorization = authorization;
        this.hostHeader = port == (ssl ? 443 : 80) ? host : host + ":" + port;
        this.endpoint = (ssl ? "https://" : "http://") + host + ":" + port;
    }

    /**
     * Parses an {@code http(s)://host[:port][/path]} base URL; a trailing {@code /} and a trailing {@code /v1} are
     * dropped, since request paths ({@code /v1/…}, {@code /api/…}) are appended as they came.
     *
     * @param authorization the {@code Authorization} header the gateway sends itself, or {@code null}
     * @throws IllegalArgumentException naming the problem when the URL is unusable
     */
    public static UpstreamTarget parse(String baseUrl, String authorization) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("no base URL");
        }
        URI uri;
        try {
            uri = new URI(baseUrl.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed base URL '" + baseUrl + "'");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("base URL '" + baseUrl + "' is not http(s)");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("base URL '" + baseUrl + "' has no host");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("base URL '" + baseUrl + "' must not carry a query or fragment");
        }
        boolean ssl = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.endsWith("/v1")) {
            path = path.substring(0, path.length() - 3);
        }
        return new UpstreamTarget(baseUrl.trim(), uri.getHost(), port, ssl, path, authorization);
    }

    /** Request options for {@code method} on {@code pathAndQuery} (starting with {@code /}) below the base path. */
    public RequestOptions options(HttpMethod method, String pathAndQuery) {
        return new RequestOptions()
                .setMethod(method)
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(basePath + pathAndQuery);
    }

    /** The path and query to request upstream for {@code pathAndQuery} (starting with {@code /}). */
    public String uri(String pathAndQuery) {
        return basePath + pathAndQuery;
    }

    /** The host to connect to: a name or an address (an IPv6 literal without its brackets). */
    public String connectHost() {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    public int port() {
        return port;
    }

    public boolean ssl() {
        return ssl;
    }

    /** The {@code Host} header value: host, and port unless it is the scheme's default. */
    public String hostHeader() {
        return hostHeader;
    }

    /** Scheme, host and port: targets with the same endpoint share pooled connections. */
    public String endpoint() {
        return endpoint;
    }

    /** The base URL as configured (shown in status pages and errors). */
    public String baseUrl() {
        return baseUrl;
    }

    /** The secret {@code Authorization} value to send upstream, or {@code null}. Never log it. */
    public String authorization() {
        return authorization;
    }

    @Override
    public String toString() {
        return baseUrl;
    }
}
