package io.sage.studio.common.auth;

import java.util.List;

import io.sage.studio.common.auth.AccessPolicy.Access;

/**
 * One service's own access table: the paths it serves ({@code prefixes}, each a pattern as in {@link AccessRule})
 * and the access each of its endpoints needs where that differs from the shared defaults of {@link AccessPolicy}
 * (reads under {@code /api} need a viewer, any other change an admin). Every rule must lie inside the service's
 * prefixes, so no service can open another's paths (checked when the table is made).
 *
 * <p>The tables are in {@code io.sage.studio.common.auth.tables}, one class per service, because the gateway
 * enforces the tables of the services it proxies before a request reaches them; see this package's DESIGN.md.
 */
public final class ServiceAccess {

    private final String service;
    private final List<String> prefixes;
    private final List<AccessRule> rules;
    private final List<AccessRule> owned;

    public ServiceAccess(String service, List<String> prefixes, List<AccessRule> rules) {
        this.service = service;
        this.prefixes = List.copyOf(prefixes);
        this.rules = List.copyOf(rules);
        this.owned =
                this.prefixes.stream().map(p -> AccessRule.any(p, Access.ADMIN)).toList();
        for (AccessRule rule : this.rules) {
            String sample = rule.pattern().replace("/**", "/x").replace("*", "x");
            if (!owns(sample)) {
                throw new IllegalArgumentException(
                        service + ": rule " + rule.pattern() + " lies outside " + String.join(", ", this.prefixes));
            }
        }
    }

    /** The service's name as users know it. */
    public String service() {
        return service;
    }

    public List<String> prefixes() {
        return prefixes;
    }

    public List<AccessRule> rules() {
        return rules;
    }

    /** Whether the service serves this canonical path. */
    public boolean owns(String path) {
        for (AccessRule prefix : owned) {
            if (prefix.matches("GET", path)) {
                return true;
            }
        }
        return false;
    }
}
