package io.sage.studio.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatBackendEvent.Backend;
import io.sage.studio.gateway.status.BackendMeters;
import io.sage.studio.gateway.status.GatewayMetrics;

/**
 * One route event becomes one table of names: the default under its names and the alias, every model served by name,
 * the rollout's candidate; the split sends a stable share of conversations to the candidate.
 */
class RoutingByNameTest {

    private static final GatewayMetrics METRICS = new GatewayMetrics(new SimpleMeterRegistry());

    private static Backend backend(String id, String served, String display, String kind) {
        return new Backend(
                id,
                "http://127.0.0.1:8001",
                served,
                display,
                "/models/" + served,
                "Qwen/Qwen2.5-0.5B-Instruct",
                kind,
                "local");
    }

    private static ActiveRoute route(Backend primary, List<Backend> served, ChatBackendEvent.Split split) {
        ChatBackendEvent event = new ChatBackendEvent(
                1, 9, ChatBackendEvent.State.ACTIVE, primary, Instant.now(), "op", null, served, split);
        return ActiveRoute.of(
                event,
                "sage-chat",
                new ActiveRoute.Cloud(Optional.of("https://api.example.com/v1"), Optional.of("sk-cloud")),
                METRICS::backend);
    }

    private static final Backend BASE = backend("engine-1", "qwen-base", "Qwen/Qwen2.5-0.5B-Instruct", "base");
    private static final Backend FT_A = backend("engine-1", "ft-a", "task-a", "finetuned");
    private static final Backend FT_B = backend("engine-2", "ft-b", "task-b", "finetuned");

    @Test
    void withoutADefaultTheModelsServedByNameStayReachableAndTheAliasReachesNothing() {
        for (ChatBackendEvent.State state : List.of(ChatBackendEvent.State.NONE, ChatBackendEvent.State.SWITCHING)) {
            ChatBackendEvent event = new ChatBackendEvent(
                    1,
                    9,
                    state,
                    null,
                    Instant.now(),
                    "op",
                    null,
                    List.of(FT_A, FT_B),
                    new ChatBackendEvent.Split("ro", FT_B, 50));
            ActiveRoute route = ActiveRoute.of(
                    event, "sage-chat", new ActiveRoute.Cloud(Optional.empty(), Optional.empty()), METRICS::backend);

            assertThat(route.serving()).isFalse();
            assertThat(route.reachable()).isTrue();
            assertThat(route.choose("task-a", null).servedModel()).isEqualTo("ft-a");
            assertThat(route.choose("ft-b", null).backendId()).isEqualTo("engine-2");
            assertThat(route.choose("sage-chat", "someone")).isNull();
            assertThat(route.choose(null, null)).isNull();
            assertThat(route.asksForDefault("sage-chat")).isTrue();
            assertThat(route.split()).as("a split only splits a default").isNull();
            assertThat(route.servedModel()).isNull();
        }
        ChatBackendEvent nothing = new ChatBackendEvent(
                1, 9, ChatBackendEvent.State.NONE, null, Instant.now(), "op", null, List.of(), null);
        assertThat(ActiveRoute.of(
                                nothing,
                                "sage-chat",
                                new ActiveRoute.Cloud(Optional.empty(), Optional.empty()),
                                METRICS::backend)
                        .reachable())
                .isFalse();
    }

    @Test
    void everyServedModelIsReachedByItsServedAndDisplayNameAndTheDefaultWinsAClash() {
        Backend clash = backend("engine-3", "ft-c", "qwen-base", "finetuned");
        ActiveRoute route = route(BASE, List.of(FT_A, FT_B, clash), null);

        assertThat(route.choose("ft-a", null).servedModel()).isEqualTo("ft-a");
        assertThat(route.choose("task-a", null).servedModel()).isEqualTo("ft-a");
        assertThat(route.choose("task-b", null).backendId()).isEqualTo("engine-2");
        assertThat(route.choose("sage-chat", null)).isSameAs(route.primary());
        assertThat(route.choose(null, "someone")).isSameAs(route.primary());
        assertThat(route.choose("Qwen/Qwen2.5-0.5B-Instruct", null)).isSameAs(route.primary());
        // The display name 'qwen-base' of ft-c is the default's served name: the default keeps it.
        assertThat(route.choose("qwen-base", null)).isSameAs(route.primary());
        assertThat(route.choose("ft-c", null).servedModel()).isEqualTo("ft-c");
        assertThat(route.choose("gpt-4o", null)).isNull();
        assertThat(route.serves("ft-b")).isTrue();
        assertThat(route.serves("sage-chat")).isFalse();
        assertThat(route.acceptedModels())
                .containsExactlyInAnyOrder("qwen-base", "sage-chat", "Qwen/Qwen2.5-0.5B-Instruct");
        assertThat(route.models())
                .extracting(RouteTarget::servedModel)
                .containsExactly("qwen-base", "ft-a", "ft-b", "ft-c");
        // Each model has meters of its own, adapters on one engine included.
        assertThat(route.choose("ft-a", null).meters())
                .isNotSameAs(route.primary().meters());
    }

    @Test
    void onlyCloudModelsGetTheCloudKeyAndUnusableModelsAreLeftOut() {
        Backend cloud =
                new Backend("cloud", "https://api.example.com/v1", "gpt-4o-mini", null, null, null, "cloud", "none");
        Backend elsewhere =
                new Backend("cloud-2", "https://evil.example.com/v1", "gpt-x", null, null, null, "cloud", "none");
        Backend broken = backend("engine-9", "ft-broken", null, "finetuned");
        Backend brokenUrl = new Backend("e", "ftp://x", "ft-broken", null, null, null, "finetuned", "local");
        ActiveRoute route = route(BASE, List.of(cloud, elsewhere, brokenUrl, FT_A), null);

        assertThat(route.choose("gpt-4o-mini", null).cloud()).isTrue();
        assertThat(route.choose("gpt-4o-mini", null).upstream().authorization()).isEqualTo("Bearer sk-cloud");
        assertThat(route.choose("ft-a", null).upstream().authorization()).isNull();
        assertThat(route.choose("gpt-x", null)).isNull();
        assertThat(route.choose("ft-broken", null)).isNull();
        assertThat(route.unusable()).containsExactly("gpt-x", "ft-broken");
        assertThat(broken.servedModelName()).isEqualTo("ft-broken");
    }

    @Test
    void theSplitSendsItsWeightOfConversationsToTheCandidateAndExplicitNamesBypassIt() {
        ActiveRoute route = route(BASE, List.of(FT_A), new ChatBackendEvent.Split("ro-1", FT_A, 30));
        int candidate = 0;
        int total = 5000;
        for (int i = 0; i < total; i++) {
            if (route.choose("sage-chat", UUID.randomUUID().toString())
                    .servedModel()
                    .equals("ft-a")) {
                candidate++;
            }
        }
        assertThat(candidate * 100.0 / total).isBetween(26.0, 34.0);
        // The candidate served by name is one target: one set of figures, whichever way it is reached.
        assertThat(route.split().candidate()).isSameAs(route.choose("ft-a", null));
        for (int i = 0; i < 200; i++) {
            assertThat(route.choose("qwen-base", "u-" + i)).isSameAs(route.primary());
            assertThat(route.choose("task-a", "u-" + i).servedModel()).isEqualTo("ft-a");
        }
    }

    @Test
    void aConversationKeepsItsArmAndOneOnTheCandidateStaysThereAsTheWeightGrows() {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            users.add("user-" + i);
        }
        Map<String, String> at10 = arms(users, 10);
        assertThat(arms(users, 10)).isEqualTo(at10);
        Map<String, String> at50 = arms(users, 50);
        long movedBack = users.stream()
                .filter(u -> at10.get(u).equals("ft-a") && !at50.get(u).equals("ft-a"))
                .count();
        assertThat(movedBack).isZero();
        long share10 = at10.values().stream().filter("ft-a"::equals).count();
        long share50 = at50.values().stream().filter("ft-a"::equals).count();
        assertThat(share10).isBetween(60L, 140L);
        assertThat(share50).isBetween(440L, 560L);
        assertThat(arms(users, 0).values()).containsOnly("qwen-base");
        assertThat(arms(users, 100).values()).containsOnly("ft-a");
    }

    private static Map<String, String> arms(List<String> users, int weight) {
        ActiveRoute route = route(BASE, List.of(), new ChatBackendEvent.Split("ro-7", FT_A, weight));
        Map<String, String> arms = new HashMap<>();
        for (String user : users) {
            arms.put(user, route.choose(null, user).servedModel());
        }
        return arms;
    }

    @Test
    void theBucketIsAFixedFunctionOfRolloutAndKey() {
        // Pinned values: every replica, and the next release, must compute the same buckets.
        // (FNV-1a 32 over "ro-1\nalice", MurmurHash3 fmix32, unsigned mod 100, computed apart from this code.)
        assertThat(StickyBucket.of("ro-1", "alice")).isEqualTo(28);
        assertThat(StickyBucket.of("ro-1", "bob")).isEqualTo(91);
        assertThat(StickyBucket.of("ro-2", "alice")).isEqualTo(79);
        assertThat(StickyBucket.of(null, "alice")).isEqualTo(78);
        int[] counts = new int[100];
        for (int i = 0; i < 100_000; i++) {
            counts[StickyBucket.of("ro-1", "user-" + i)]++;
        }
        for (int count : counts) {
            assertThat(count).isBetween(800, 1200);
        }
    }

    @Test
    void theMetersOfModelsNoRouteNamesAreDroppedBeyondTheRecentOnes() {
        GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry());
        BackendMeters kept = metrics.backend("engine-1", "current");
        for (int i = 0; i < 100; i++) {
            metrics.backend("engine-1", "old-" + i);
            metrics.retain(List.of(kept));
        }
        assertThat(metrics.traffic()).hasSizeLessThanOrEqualTo(33);
        assertThat(metrics.traffic())
                .anySatisfy(t -> assertThat(t.servedModelName()).isEqualTo("current"));
        assertThat(metrics.traffic())
                .anySatisfy(t -> assertThat(t.servedModelName()).isEqualTo("old-99"));
    }
}
