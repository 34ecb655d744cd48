package io.sage.studio.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatBackendEvent.State;

class ActiveRouteTest {

    private static ChatBackendEvent event(State state, String kind, String baseUrl, Integer retryAfter) {
        ChatBackendEvent.Backend backend = new ChatBackendEvent.Backend(
                "b1", baseUrl, "served", "Display Name", "/models/m", "Qwen/Qwen2.5-0.5B-Instruct", kind, "local");
        return new ChatBackendEvent(1, 7, state, backend, Instant.parse("2026-01-01T00:00:00Z"), "op-1", retryAfter);
    }

    private static final Optional<String> CLOUD_URL = Optional.of("https://api.example.com/v1/");

    private static ActiveRoute route(ChatBackendEvent event, Optional<String> cloudKey) {
        return ActiveRoute.of(event, "sage-chat", new ActiveRoute.Cloud(CLOUD_URL, cloudKey), (id, model) -> null);
    }

    @Test
    void anActiveBackendAcceptsItsNamesTheAliasAndNothingElse() {
        ActiveRoute route = route(event(State.ACTIVE, "finetuned", "http://127.0.0.1:8001", null), Optional.empty());
        assertThat(route.serving()).isTrue();
        assertThat(route.servedModel()).isEqualTo("served");
        assertThat(route.acceptedModels()).containsExactlyInAnyOrder("served", "sage-chat", "Display Name");
        assertThat(route.accepts(null)).isTrue();
        assertThat(route.accepts("")).isTrue();
        assertThat(route.accepts("sage-chat")).isTrue();
        assertThat(route.accepts("SERVED")).isFalse();
        assertThat(route.accepts("gpt-4o")).isFalse();
        assertThat(route.problem()).isNull();
    }

    @Test
    void theCloudKeyIsAddedForCloudBackendsOnly() {
        Optional<String> key = Optional.of("sk-cloud");
        assertThat(route(event(State.ACTIVE, "cloud", "https://api.example.com/v1", null), key)
                        .target()
                        .authorization())
                .isEqualTo("Bearer sk-cloud");
        assertThat(route(event(State.ACTIVE, "finetuned", "http://127.0.0.1:8001", null), key)
                        .target()
                        .authorization())
                .isNull();
        assertThat(route(event(State.ACTIVE, "cloud", "https://api.example.com/v1", null), Optional.empty())
                        .target()
                        .authorization())
                .isNull();
    }

    @Test
    void aCloudRouteIsFollowedOnlyToTheConfiguredCloudUrlSoTheKeyNeverLeavesForAnotherHost() {
        Optional<String> key = Optional.of("sk-cloud");
        assertThat(route(event(State.ACTIVE, "cloud", "https://api.example.com", null), key)
                        .serving())
                .isTrue();
        ActiveRoute elsewhere = route(event(State.ACTIVE, "cloud", "https://collector.evil.example/v1", null), key);
        assertThat(elsewhere.serving()).isFalse();
        assertThat(elsewhere.condition()).isEqualTo(ActiveRoute.Condition.INVALID);
        assertThat(elsewhere.target()).isNull();
        assertThat(elsewhere.problem()).contains("studio.chat.cloud.base-url");
        ActiveRoute unconfigured = ActiveRoute.of(
                event(State.ACTIVE, "cloud", "https://api.example.com/v1", null),
                "sage-chat",
                new ActiveRoute.Cloud(Optional.empty(), key),
                (id, model) -> null);
        assertThat(unconfigured.serving()).isFalse();
    }

    @Test
    void switchingAndNoneDoNotServeAndSayHowLongToWait() {
        ActiveRoute switching = route(event(State.SWITCHING, "base", "http://127.0.0.1:8001", 30), Optional.empty());
        assertThat(switching.serving()).isFalse();
        assertThat(switching.condition().errorCode()).isEqualTo("backend_switching");
        assertThat(switching.retryAfterSeconds(Duration.ofSeconds(5))).isEqualTo(30);
        ActiveRoute none = route(null, Optional.empty());
        assertThat(none.condition()).isEqualTo(ActiveRoute.Condition.NONE);
        assertThat(none.retryAfterSeconds(Duration.ofSeconds(5))).isEqualTo(5);
        assertThat(ActiveRoute.UNKNOWN.retryAfterSeconds(Duration.ofSeconds(5))).isEqualTo(1);
    }

    @Test
    void anActiveRouteWithAnUnusableBaseUrlIsInvalidAndSaysWhy() {
        ActiveRoute route = route(event(State.ACTIVE, "base", "not a url", null), Optional.empty());
        assertThat(route.serving()).isFalse();
        assertThat(route.condition()).isEqualTo(ActiveRoute.Condition.INVALID);
        assertThat(route.problem()).contains("not a url");
    }
}
