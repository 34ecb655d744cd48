package io.sage.studio.finetune.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import io.sage.studio.common.error.StudioException;

/**
 * Which URLs a webhook may call. Checked when a webhook is registered (the URL's form, its host against the
 * allow-list, a literal address) and again before every delivery on the addresses the host resolves to then, so a
 * name that later resolves to a metadata or link-local address is not called. Refused always: link-local
 * ({@code 169.254.0.0/16}, {@code fe80::/10}, where clouds put their metadata services), cloud metadata names and
 * addresses, the unspecified and multicast addresses; loopback unless {@code allow-loopback}. Private ranges are
 * allowed (receivers inside the cluster are common); the allow-list narrows further.
 */
final class UrlPolicy {

    static final int MAX_URL_LENGTH = 2048;
    private static final Set<String> METADATA_HOSTS = Set.of(
            "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal");
    private static final Set<String> METADATA_ADDRESSES = Set.of("100.100.100.200", "fd00:ec2:0:0:0:0:0:254");

    private final Optional<List<String>> allowedHosts;
    private final boolean allowLoopback;

    UrlPolicy(Optional<List<String>> allowedHosts, boolean allowLoopback) {
        this.allowedHosts = allowedHosts.map(hosts -> hosts.stream()
                .map(h -> h.strip().toLowerCase(Locale.ROOT))
                .filter(h -> !h.isEmpty())
                .toList());
        this.allowLoopback = allowLoopback;
    }

    /** The URL as registered, or 400 {@code invalid_field} naming {@code url}. */
    URI validate(String url) {
        if (url == null || url.isBlank()) {
            throw StudioException.invalidField("url", "url is required");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw StudioException.invalidField("url", "url is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw StudioException.invalidField("url", "url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw StudioException.invalidField("url", "url must be http or https");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw StudioException.invalidField("url", "url has no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw StudioException.invalidField("url", "url must not carry a user name or password");
        }
        if (uri.getRawFragment() != null) {
            throw StudioException.invalidField("url", "url must not have a fragment");
        }
        String refusal = hostRefusal(host(uri));
        if (refusal != null) {
            throw StudioException.invalidField("url", "url " + refusal);
        }
        return uri;
    }

    /**
     * Why a delivery to {@code uri} may not be made now (its host resolves to a refused address, or not at all), or
     * {@code null} when it may.
     */
    String deliveryRefusal(URI uri) {
        String host = host(uri);
        String refusal = hostRefusal(host);
        if (refusal != null) {
            return refusal;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                String why = addressRefusal(address);
                if (why != null) {
                    return "host " + host + " resolves to " + why;
                }
            }
        } catch (UnknownHostException e) {
            return "host " + host + " does not resolve";
        }
        return null;
    }

    private static String host(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    /** Checks the name itself (allow-list, metadata names, localhost, a literal address); no lookup. */
    private String hostRefusal(String host) {
        if (allowedHosts.isPresent() && allowedHosts.get().stream().noneMatch(pattern -> matches(pattern, host))) {
            return "host " + host + " is not in studio.finetune.webhooks.allowed-hosts";
        }
        if (METADATA_HOSTS.contains(host)) {
            return "host " + host + " is a cloud metadata service";
        }
        if ((host.equals("localhost") || host.endsWith(".localhost")) && !allowLoopback) {
            return "host " + host + " is loopback (studio.finetune.webhooks.allow-loopback is off)";
        }
        if (isLiteral(host)) {
            try {
                String why = addressRefusal(InetAddress.getByName(host));
                return why == null ? null : "host " + why;
            } catch (UnknownHostException e) {
                return "host " + host + " is not a valid address";
            }
        }
        return null;
    }

    private static boolean matches(String pattern, String host) {
        return pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) : pattern.equals(host);
    }

    private static boolean isLiteral(String host) {
        return host.contains(":") || host.matches("[0-9.]+");
    }

    /** Why {@code address} may not be called, or {@code null}. */
    String addressRefusal(InetAddress address) {
        InetAddress effective = address;
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    effective = InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    return address.getHostAddress() + " (unreadable)";
                }
            }
        }
        String text = effective.getHostAddress();
        if (effective.isLinkLocalAddress()) {
            return text + " (link-local)";
        }
        if (METADATA_ADDRESSES.contains(text)) {
            return text + " (cloud metadata)";
        }
        if (effective.isAnyLocalAddress() || effective.isMulticastAddress()) {
            return text + " (not a host address)";
        }
        if (effective instanceof Inet4Address && (effective.getAddress()[0] & 0xff) == 0) {
            return text + " (not a host address)";
        }
        if (effective.isLoopbackAddress() && !allowLoopback) {
            return text + " (loopback; studio.finetune.webhooks.allow-loopback is off)";
        }
        return null;
    }
}
