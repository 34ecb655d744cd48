package io.sage.studio.common.auth;

import java.util.List;

/**
 * One service's own access table: the paths it serves ({@code prefixes}, each a pattern as in {@link AccessRule})
 * and the access each of its endpoints needs where that differs from the shared defaults of {@link AccessPolicy}
 * (reads under {@code /api} need a viewer, any other change an admin). Every rule must lie inside the service's
 * prefixes, so no service can open another's paths (checked when the table is made).
 *
 * <p>The tables are in {@code io.sage.studio.common.auth.tables}, one class per service, because the gateway
 * enforces the tables of the services it proxies before a request reaches them; see this package's DESIGN.md.
 */
public record ServiceAccess(String service, List<String> prefixes, List<AccessRule> rules) {

    public ServiceAccess {
        prefixes = List.copyOf(prefixes);
        rules = List.copyOf(rules);
        List<AccessRule> owned = prefixes.stream().map(p -> AccessRule.any(p, AccessPolicy.Access.ADMIN)).toList();
        for (AccessRule rule : rules) {
            String sample = rule.pattern().replace("/**", "/x").replace("*", "x");
            if (owned.stream().noneMatch(p -> p.matches("GET", sample))) {
                throw new IllegalArgumentException(service + ": rule " + rule.pattern() + " lies outside "
                        + String.join(", ", prefixes));
            }
        }
    }

    /** Whether the service serves this canonical path. */
    public boolean owns(String path) {
        return prefixes.stream().anyMatch(p -> AccessRule.any(p, AccessPolicy.Access.ADMIN).matches("GET", path));
    }
}
