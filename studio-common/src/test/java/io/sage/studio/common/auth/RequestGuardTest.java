package io.sage.studio.common.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class RequestGuardTest {

    private final RequestGuard defaults = new RequestGuard(List.of("localhost", "127.0.0.1", "[::1]"), List.of());

    @Test
    void theDefaultsAreTheLoopbackNamesWithAnyPort() {
        assertThat(defaults.hostAllowed("localhost")).isTrue();
        assertThat(defaults.hostAllowed("localhost:8080")).isTrue();
        assertThat(defaults.hostAllowed("LOCALHOST.:8080")).isTrue();
        assertThat(defaults.hostAllowed("127.0.0.1:8081")).isTrue();
        assertThat(defaults.hostAllowed("[::1]:8080")).isTrue();
        assertThat(defaults.hostAllowed("::1")).isTrue();
    }

    @Test
    void aRebindingNameOrAnotherAddressIsNotAllowed() {
        assertThat(defaults.hostAllowed("evil.example")).isFalse();
        assertThat(defaults.hostAllowed("evil.example:8080")).isFalse();
        assertThat(defaults.hostAllowed("localhost.evil.example")).isFalse();
        assertThat(defaults.hostAllowed("127.0.0.2")).isFalse();
        assertThat(defaults.hostAllowed("0.0.0.0:8080")).isFalse();
        assertThat(defaults.hostAllowed("")).isFalse();
    }

    @Test
    void aLeadingStarMatchesSubDomainsOnlyAndAStarAlone() {
        RequestGuard cluster = new RequestGuard(List.of("studio.example.com", "*.ns.svc.cluster.local"), List.of());
        assertThat(cluster.hostAllowed("studio.example.com:443")).isTrue();
        assertThat(cluster.hostAllowed("sage-finetune.ns.svc.cluster.local:8081"))
                .isTrue();
        assertThat(cluster.hostAllowed("ns.svc.cluster.local")).isFalse();
        assertThat(cluster.hostAllowed("evilns.svc.cluster.local")).isFalse();
        assertThat(new RequestGuard(List.of("*"), List.of()).hostAllowed("anything.at.all"))
                .isTrue();
    }

    @Test
    void originsFromAllowedHostsOrListedOriginsPassOthersDoNot() {
        RequestGuard guard = new RequestGuard(List.of("localhost"), List.of("https://ui.example.com/"));
        assertThat(guard.originAllowed("http://localhost:8080")).isTrue();
        assertThat(guard.originAllowed("http://localhost:5173")).isTrue();
        assertThat(guard.originAllowed("https://ui.example.com")).isTrue();
        assertThat(guard.originAllowed("https://evil.example")).isFalse();
        assertThat(guard.originAllowed("null")).isFalse();
        assertThat(guard.originAllowed("file://localhost")).isFalse();
        assertThat(guard.originAllowed("not a url")).isFalse();
    }
}
