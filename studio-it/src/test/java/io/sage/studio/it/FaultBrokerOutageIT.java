package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault injection: the local broker is killed ({@code kill -9}) for 60 s while a training runs and a blue-green
 * switch waits for its new engine. The services stay up (readiness down, liveness up), the training goes on, chat
 * keeps being answered by the old route, and once {@code ./sage studio start} has brought the broker back the task's
 * events are whole on Kafka and on the SSE stream, the switch has ended (completed, or failed and rolled back) and
 * the route is consistent.
 */
class FaultBrokerOutageIT {

    private static final Duration OUTAGE = Duration.ofSeconds(60);
    private static final List<String> SERVICES =
            List.of("gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service");

    @TempDir
    Path tmp;

    @Test
    void brokerDown60sDuringATrainingAndABlueGreenSwitch() throws Exception {
        FaultReport.run("broker-down-60s", figures -> {
            try (Studio studio = new Studio(tmp.resolve("home"))) {
                run(studio, figures);
            }
        });
    }

    private static void run(Studio studio, FaultReport.Figures figures) throws Exception {
        studio.env.put("STUDIO_CHAT_INITIAL_MODEL", StudioApi.BASE_MODEL);
        StudioApi api = new StudioApi(studio);
        Path slow = api.slowModel("slow-a", 8);
        Studio.Run start = studio.sage("studio", "start");
        assertThat(start.exitCode()).as(start.output()).isZero();
        api.awaitRouteActive();

        StudioApi.TaskStream stream = api.taskStream();
        String dataset = api.dataset(40);
        String taskId = api.startTask(dataset, 2, true); // 80 steps of about 1 s
        await().atMost(Duration.ofMinutes(2))
                .untilAsserted(
                        () -> assertThat(api.task(taskId).path("step").asLong()).isPositive());
        String operation = api.switchTo(slow.toString());
        api.awaitOperation(operation, Duration.ofSeconds(60), List.of("starting", "waiting_ready"));
        Map<String, Long> pids = new LinkedHashMap<>();
        SERVICES.forEach(s -> pids.put(s, studio.pid(s)));
        long stepAtKill = api.task(taskId).path("step").asLong();

        Instant down = Instant.now();
        assertThat(ProcessHandle.of(studio.pid("kafka")).map(ProcessHandle::destroyForcibly))
                .contains(true);

        await("readiness of every service goes down")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> api.health("ready", Duration.ofSeconds(3)).values().stream()
                        .noneMatch(s -> s == 200));
        figures.add(
                "readiness of 4/4 services down %s after the broker was killed",
                FaultReport.seconds(Duration.between(down, Instant.now())));

        AtomicInteger samples = new AtomicInteger();
        AtomicInteger live = new AtomicInteger();
        AtomicInteger chatAnswered = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        Duration left = OUTAGE.minus(Duration.between(down, Instant.now()));
        try {
            await("liveness of every service while the broker is down")
                    .pollInterval(Duration.ofSeconds(5))
                    .during(left)
                    .atMost(left.plusSeconds(20))
                    .until(() -> {
                        samples.incrementAndGet();
                        Map<String, Integer> health = api.health("live", Duration.ofSeconds(5));
                        if (api.chat().status() == 200) {
                            chatAnswered.incrementAndGet();
                        }
                        boolean up = health.values().stream().allMatch(s -> s == 200);
                        if (up) {
                            live.incrementAndGet();
                        } else {
                            problems.add(health.toString());
                        }
                        return up;
                    });
        } finally {
            figures.add(
                    "liveness up in %d/%d samples, chat answered %d/%d times while down",
                    live.get(), samples.get(), chatAnswered.get(), samples.get());
        }
        assertThat(problems).as("liveness answers while the broker was down").isEmpty();
        long stepAfter = api.task(taskId).path("step").asLong();
        figures.add("training went on (step %d → %d while down)", stepAtKill, stepAfter);
        assertThat(stepAfter).as("the training went on").isGreaterThan(stepAtKill);

        Instant restart = Instant.now();
        Studio.Run back = studio.sage("studio", "start");
        figures.add(
                "broker killed for %s, then ./sage studio start had it back and every service ready in %s",
                FaultReport.seconds(Duration.between(down, restart)),
                FaultReport.seconds(Duration.between(restart, Instant.now())));
        assertThat(back.exitCode()).as(back.output()).isZero();
        assertThat(back.output()).contains("Starting kafka");
        for (String service : SERVICES) {
            assertThat(back.output()).as("only the broker is started again").doesNotContain("Starting " + service);
            assertThat(studio.pid(service)).as(service + " kept running").isEqualTo(pids.get(service));
        }

        JsonNode task = api.awaitTask(taskId, Duration.ofMinutes(3), List.of("completed", "failed", "cancelled"));
        assertThat(task.path("status").asText()).as(task.toString()).isEqualTo("completed");
        StudioApi.TaskEvents events = api.assertTaskEventsWhole(task);
        assertThat(api.taskIds().stream().filter(taskId::equals)).hasSize(1);
        AtomicReference<List<JsonNode>> sse = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            sse.set(stream.of(taskId));
            assertThat(sse.get()).isNotEmpty();
            assertThat(sse.get().get(sse.get().size() - 1).path("status").asText())
                    .isEqualTo("completed");
        });
        long previous = -1;
        for (JsonNode t : sse.get()) {
            assertThat(t.path("revision").asLong()).as("SSE revisions increase").isGreaterThan(previous);
            previous = t.path("revision").asLong();
        }
        figures.add(
                "task completed: %s; %d on SSE, revisions strictly increasing",
                events, sse.get().size());

        JsonNode op = api.awaitOperation(operation, Duration.ofMinutes(2), StudioApi.FINISHED);
        figures.add(
                "blue-green switch %s%s",
                op.path("state").asText(),
                op.path("error").isNull() ? "" : " (" + op.path("error").asText() + ")");
        String routed = api.assertRouteConsistent();
        if (op.path("state").asText().equals("failed")) {
            assertThat(routed)
                    .as("a failed switch leaves the old model serving")
                    .isEqualTo(StudioApi.BASE_MODEL);
        }
        figures.add("route → %s (consistent)", routed);
    }
}
