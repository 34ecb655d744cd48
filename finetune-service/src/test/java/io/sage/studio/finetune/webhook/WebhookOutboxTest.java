package io.sage.studio.finetune.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.runtime.configuration.DurationConverter;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.TaskSnapshot;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The outbox across a restart, without a service: deliveries queued by one store (the consumer's side, before it
 * commits its offset) are read by the next one and delivered by its dispatcher; a redelivered Kafka record queues
 * nothing twice; a delivery whose schedule is spent gives up and disables its webhook with the reason, and enabling
 * it again sends what it still owed.
 */
class WebhookOutboxTest {

    @TempDir
    Path home;

    private final Receiver receiver = Receiver.start();
    private WebhookDispatcher dispatcher;

    @AfterEach
    void stop() {
        if (dispatcher != null) {
            dispatcher.stop();
        }
        receiver.close();
    }

    /** The service's real mapping (defaults included) with a fast schedule, quick polling and loopback allowed. */
    private static WebhookConfig config(String schedule) {
        return config(schedule, 4);
    }

    private static WebhookConfig config(String schedule, int concurrency) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(WebhookConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValues(Map.of(
                        "studio.finetune.webhooks.retry-schedule",
                        schedule,
                        "studio.finetune.webhooks.poll",
                        "50ms",
                        "studio.finetune.webhooks.allow-loopback",
                        "true",
                        "studio.finetune.webhooks.concurrency",
                        Integer.toString(concurrency)))
                .build();
        return config.getConfigMapping(WebhookConfig.class);
    }

    private static TaskEvent completed(String taskId, long revision) {
        TaskSnapshot task = new TaskSnapshot(
                taskId,
                "Qwen/Qwen2.5-0.5B-Instruct",
                "completed",
                null,
                1.0,
                1,
                1,
                10,
                10,
                0.5,
                null,
                null,
                null,
                null,
                null,
                Instant.now(),
                Instant.now(),
                Instant.now(),
                null,
                1,
                null,
                null,
                null,
                null,
                null);
        return TaskEvent.of(TaskEvent.Kind.STATE_CHANGED, revision, task);
    }

    private Webhook webhook(String path) {
        return new Webhook(
                "wh-test-" + path.substring(1),
                receiver.url(path),
                List.of("task.*"),
                null,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                true,
                null,
                Instant.now().minusSeconds(60),
                "local",
                null,
                null,
                0);
    }

    @Test
    void queuedDeliveriesSurviveARestartAndAreDeliveredOnce() throws Exception {
        WebhookConfig config = config("100ms");
        WebhookStore before = new WebhookStore(StudioHome.at(home), config);
        assertThat(before.add(webhook("/after-restart"))).isTrue();
        WebhookConsumer consumer = new WebhookConsumer(before);
        consumer.task(completed("ft-restart-1", 7));
        // the service stops before any attempt; Kafka hands the record to the next one again
        WebhookStore after = new WebhookStore(StudioHome.at(home), config);
        new WebhookConsumer(after).task(completed("ft-restart-1", 7));
        assertThat(after.deliveries("wh-test-after-restart", 10))
                .singleElement()
                .satisfies(d -> assertThat(d.state()).isEqualTo(Delivery.State.PENDING));

        dispatcher = new WebhookDispatcher(after, config);
        dispatcher.start(null);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> receiver.accepted("/after-restart").size() == 1);
        Receiver.Received got = receiver.accepted("/after-restart").get(0);
        new WebhookVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(got.body(), got.headers());
        assertThat(got.body()).contains("\"type\":\"task.completed\"", "ft-restart-1");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> new WebhookStore(StudioHome.at(home), config)
                                .deliveries("wh-test-after-restart", 10)
                                .get(0)
                                .state()
                        == Delivery.State.DELIVERED);
        assertThat(receiver.all("/after-restart")).hasSize(1);
    }

    @Test
    void aDeliveryWhoseScheduleIsSpentDisablesItsWebhook() throws Exception {
        WebhookConfig config = config("50ms,50ms");
        WebhookStore store = new WebhookStore(StudioHome.at(home), config);
        store.add(webhook("/down"));
        receiver.failFirst("/down", 100);
        new WebhookConsumer(store).task(completed("ft-down-1", 3));
        dispatcher = new WebhookDispatcher(store, config);
        dispatcher.start(null);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> !store.find("wh-test-down").orElseThrow().enabled());
        Webhook disabled = store.find("wh-test-down").orElseThrow();
        assertThat(disabled.disabledReason()).contains("failed 3 times", "HTTP 500");
        assertThat(disabled.failures()).isEqualTo(3);
        assertThat(store.deliveries("wh-test-down", 10).get(0).state()).isEqualTo(Delivery.State.GAVE_UP);
        assertThat(receiver.all("/down")).hasSize(3);
        // a disabled webhook is not sent new events
        new WebhookConsumer(store).task(completed("ft-down-2", 3));
        assertThat(store.deliveries("wh-test-down", 10)).hasSize(1);
    }

    @Test
    void enablingADisabledWebhookAgainSendsWhatItStillOwedAndNewEvents() throws Exception {
        // One attempt at a time: the first delivery to spend its schedule disables the webhook while the other is
        // still open (owed), and nothing is sent for it while the webhook stays disabled.
        WebhookConfig config = config("50ms,50ms", 1);
        WebhookStore store = new WebhookStore(StudioHome.at(home), config);
        store.add(webhook("/back"));
        receiver.failFirst("/back", 1000);
        WebhookConsumer consumer = new WebhookConsumer(store);
        consumer.task(completed("ft-back-1", 3));
        consumer.task(completed("ft-back-2", 3));
        dispatcher = new WebhookDispatcher(store, config);
        dispatcher.start(null);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> !store.find("wh-test-back").orElseThrow().enabled());
        List<Delivery> held = store.deliveries("wh-test-back", 10);
        assertThat(held).hasSize(2);
        assertThat(held).filteredOn(d -> d.state() == Delivery.State.GAVE_UP).hasSize(1);
        Delivery owed = held.stream()
                .filter(d -> d.state() != Delivery.State.GAVE_UP)
                .findFirst()
                .orElseThrow();
        assertThat(owed.state()).isIn(Delivery.State.PENDING, Delivery.State.FAILED);
        int triedBefore = receiver.all("/back").size();
        Thread.sleep(300); // several polls: a disabled webhook's owed delivery is not attempted
        assertThat(receiver.all("/back")).hasSize(triedBefore);

        receiver.failFirst("/back", 0);
        Webhook enabled = store.update("wh-test-back", w -> w.patched(w.url(), w.events(), w.description(), true, null))
                .orElseThrow();
        assertThat(enabled.enabled()).isTrue();
        assertThat(enabled.disabledReason()).isNull();
        assertThat(enabled.failures()).isZero();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> receiver.accepted("/back").stream()
                        .anyMatch(r -> r.headers().get("webhook-id").contains(owed.id())));
        // a new event is queued and sent again, and the webhook's record is clean
        consumer.task(completed("ft-back-3", 3));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> receiver.accepted("/back").stream()
                        .anyMatch(r -> r.body().contains("ft-back-3")));
        assertThat(store.find("wh-test-back").orElseThrow())
                .satisfies(w -> assertThat(w.enabled()).isTrue())
                .satisfies(w -> assertThat(w.failures()).isZero())
                .satisfies(w -> assertThat(w.lastStatus()).isEqualTo(200));
        // the delivery that gave up stays given up: re-enabling resumes, it does not replay
        assertThat(store.deliveries("wh-test-back", 10))
                .filteredOn(d -> d.state() == Delivery.State.GAVE_UP)
                .hasSize(1);
    }
}
