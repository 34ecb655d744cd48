package io.sage.studio.chat.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.auth.AuthMode;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.common.kafka.KafkaClientConfig;
import io.sage.studio.events.ChatTrafficEvent;

/** {@link TrafficView} sums the replicas' running totals by their differences and forgets replicas that are gone. */
class TrafficViewTest {

    private static final Instant T0 = Instant.parse("2026-12-06T07:00:00Z");

    @Test
    void replicasAreSummedByTheirDifferencesAndARestartedReplicaStartsAgainAtZero() {
        TrafficView view = newView();
        view.apply("gw-a", event("gw-a", T0, traffic("ft-a", 10, 1, 100)));
        view.apply("gw-b", event("gw-b", T0, traffic("ft-a", 5, 0, 1000)));
        TrafficView.Totals start = view.totals("ft-a");
        assertThat(start.requests()).isEqualTo(15);
        assertThat(start.errors()).isEqualTo(1);

        view.apply("gw-a", event("gw-a", T0.plusSeconds(1), traffic("ft-a", 30, 1, 100)));
        view.apply("gw-c", event("gw-c", T0.plusSeconds(2), traffic("ft-a", 4, 4, 100)));
        TrafficView.Totals step = view.totals("ft-a").minus(start);
        assertThat(step.requests()).isEqualTo(24);
        assertThat(step.errors()).isEqualTo(4);
        assertThat(step.errorRate()).isEqualTo(4.0 / 24);
        assertThat(step.ttftMs(0.5)).isEqualTo(100L);
        assertThat(view.lastUsed("ft-a")).contains(T0.plusSeconds(2));
        assertThat(view.totals("other")).isEqualTo(TrafficView.Totals.ZERO);
    }

    @Test
    void aRecordBelowTheReplicasLastTotalsIsTakenAsItsNewBaseAndAddsNothing() {
        TrafficView view = newView();
        view.apply("gw-a", event("gw-a", T0, traffic("ft-a", 10, 0, 50)));
        view.apply("gw-a", event("gw-a", T0, traffic("ft-a", 3, 0, 50)));
        view.apply("gw-a", event("gw-a", T0, traffic("ft-a", 5, 0, 50)));
        assertThat(view.totals("ft-a").requests()).isEqualTo(12);
    }

    @Test
    void aTombstonedOrSilentGatewayIsForgottenAndItsFiguresStay() {
        TrafficView view = newView();
        view.apply("gw-a", event("gw-a", T0, traffic("ft-a", 10, 0, 50)), T0);
        view.apply("gw-b", event("gw-b", T0, traffic("ft-a", 5, 0, 50)), T0);
        view.forget("gw-b");
        assertThat(view.gateways()).isEqualTo(1);
        assertThat(view.totals("ft-a").requests()).isEqualTo(15);

        // Nothing arrives from gw-a for longer than STALE while gw-c reports (its own clock far behind: arrival
        // counts):
        // gw-a is dropped, what it reported stays.
        Instant later = T0.plus(TrafficView.STALE).plusSeconds(1);
        view.apply("gw-c", event("gw-c", T0.minusSeconds(3600), traffic("ft-a", 1, 0, 50)), later);
        assertThat(view.gateways()).isEqualTo(1);
        assertThat(view.totals("ft-a").requests()).isEqualTo(16);

        // gw-a was cut off, not gone: its next record is a new base, the one after adds its difference.
        view.apply("gw-a", event("gw-a", later, traffic("ft-a", 40, 0, 50)), later.plusSeconds(1));
        assertThat(view.totals("ft-a").requests()).isEqualTo(16);
        view.apply("gw-a", event("gw-a", later, traffic("ft-a", 43, 0, 50)), later.plusSeconds(2));
        assertThat(view.totals("ft-a").requests()).isEqualTo(19);
        assertThat(view.gateways()).isEqualTo(2);
    }

    @Test
    void followedGatewaysAreBounded() {
        TrafficView view = newView();
        for (int i = 0; i < TrafficView.MAX_GATEWAYS + 10; i++) {
            view.apply("gw-" + i, event("gw-" + i, T0, traffic("ft-a", 1, 0, 50)));
        }
        assertThat(view.gateways()).isEqualTo(TrafficView.MAX_GATEWAYS);
        assertThat(view.totals("ft-a").requests()).isEqualTo(TrafficView.MAX_GATEWAYS + 10);
    }

    private static TrafficView newView() {
        return new TrafficView(
                new KafkaClientConfig(Map.of("bootstrap.servers", "127.0.0.1:1")),
                new EventSigning(Optional.empty(), AuthMode.NONE, Optional.empty()));
    }

    private static ChatTrafficEvent event(String gateway, Instant at, ChatTrafficEvent.ModelTraffic traffic) {
        return new ChatTrafficEvent(ChatTrafficEvent.SCHEMA_VERSION, gateway, T0, at, List.of(traffic));
    }

    private static ChatTrafficEvent.ModelTraffic traffic(String model, long requests, long errors, long ttftMs) {
        Long[] buckets = new Long[ChatTrafficEvent.TTFT_BOUNDS_MS.size() + 1];
        Arrays.fill(buckets, 0L);
        buckets[ChatTrafficEvent.ttftBucket(ttftMs)] = requests;
        return new ChatTrafficEvent.ModelTraffic("engine-1", model, requests, errors, List.of(buckets));
    }
}
