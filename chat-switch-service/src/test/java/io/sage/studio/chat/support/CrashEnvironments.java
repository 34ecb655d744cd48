package io.sage.studio.chat.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.state.StateSnapshot;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * What a {@code kill -9} of the service in the middle of a switch leaves behind — the state file, the engines still
 * running (real processes of the stand-in vLLM, with the studio home's API key), the route the topic still holds —
 * set up before the service starts.
 */
public final class CrashEnvironments {

    public static final String OLD_ID = "b-old00001";
    public static final String NEW_ID = "b-new00001";
    /** Operation id of the route event the crashed service published last (marks where the restart's events begin). */
    public static final String CRASHED_OP = "op-crashed-by-kill";

    private CrashEnvironments() {}

    static ServableModel base(String id) {
        return new ServableModel(
                id, id, ServableModel.KIND_BASE, ServableModel.Artifact.BASE, id, null, id, null, null, id);
    }

    /** A process that is gone: its pid is not an engine any more. */
    static long deadPid() {
        try {
            Process gone = new ProcessBuilder("true").start();
            gone.waitFor();
            return gone.pid();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Backend dead(String id, ServableModel model) {
        return new Backend(
                id,
                "local",
                new BackendSpec(id, model.enginePath(), model.servedName(), true, 64, Map.of(), model),
                "http://127.0.0.1:1",
                1,
                deadPid(),
                Instant.now().minusSeconds(3600),
                null,
                null,
                Map.of(),
                Backend.State.READY,
                Instant.now().minusSeconds(3600));
    }

    /** The route event a crashed service had published last, written to the shared broker's topic; its revision. */
    static long publishRoute(ChatBackendEvent.State kind, Backend backend, ServableModel model) {
        long revision;
        try (RouteWatcher watcher = new RouteWatcher()) {
            revision = watcher.revision() + 1;
        }
        ChatBackendEvent.Backend named = backend == null
                ? null
                : new ChatBackendEvent.Backend(
                        backend.id(),
                        backend.baseUrl(),
                        model.servedName(),
                        model.displayName(),
                        model.modelPath(),
                        model.baseModel(),
                        model.kind(),
                        "local");
        ChatBackendEvent event = new ChatBackendEvent(
                ChatBackendEvent.SCHEMA_VERSION,
                revision,
                kind,
                named,
                Instant.now(),
                CRASHED_OP,
                kind == ChatBackendEvent.State.SWITCHING ? 15 : null);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
        try (KafkaProducer<String, byte[]> producer =
                new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            ProducerRecord<String, byte[]> record =
                    new ProducerRecord<>(Topics.CHAT_BACKEND, ChatBackendEvent.KEY, CloudEvents.encode(event));
            record.headers().add(CloudEvents.H_TYPE, event.cloudEventType().getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish the crashed service's route", e);
        }
        try (RouteWatcher watcher = new RouteWatcher()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> watcher.revision() >= revision);
        }
        return revision;
    }

    static Path freshHome(String prefix) {
        try {
            return Files.createTempDirectory(prefix).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeState(Path home, StateSnapshot snapshot) {
        try {
            AtomicFiles.writeJson(home.resolve("studio/chat/state.json"), snapshot);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Killed in the middle of a recreate from {@code BASE_A} to {@code BASE_B}: the route says SWITCHING (gateways answer
     * 503), the old engine is gone, the new one runs and is ready but was never routed to.
     */
    public static class InterruptedRecreate implements QuarkusTestResourceLifecycleManager {

        private static Path home;
        private static FinetuneStandIn finetune;
        private static Process fresh;
        private static long revision;

        public static Path home() {
            return home;
        }

        public static long freshPid() {
            return fresh.pid();
        }

        public static long revision() {
            return revision;
        }

        @Override
        public Map<String, String> start() {
            home = freshHome("chat-crash-recreate-");
            finetune = new FinetuneStandIn();
            Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
            int port = Integer.parseInt(config.get("studio.chat.local.ports").split("-")[0]);
            String key = Engines.writeApiKey(home, "sk-sage-crash-" + Long.toHexString(System.nanoTime()));
            Path chat = home.resolve("studio/chat");
            fresh = Engines.start(
                    chat.resolve(NEW_ID + ".log"),
                    List.of(
                            Engines.BASE_B,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            Integer.toString(port),
                            "--served-model-name",
                            Engines.BASE_B,
                            "--enable-lora",
                            "--max-lora-rank",
                            "64"),
                    Map.of("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True", "VLLM_API_KEY", key));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> Engines.status("http://127.0.0.1:" + port, "/health", null) == 200);
            ServableModel a = base(Engines.BASE_A);
            ServableModel b = base(Engines.BASE_B);
            Backend old = dead(OLD_ID, a).withState(Backend.State.DRAINING);
            Backend started = new Backend(
                    NEW_ID,
                    "local",
                    new BackendSpec(NEW_ID, Engines.BASE_B, Engines.BASE_B, true, 64, Map.of(), b),
                    "http://127.0.0.1:" + port,
                    port,
                    fresh.pid(),
                    fresh.info().startInstant().orElseThrow(),
                    null,
                    chat.resolve(NEW_ID + ".log").toString(),
                    Map.of(),
                    Backend.State.STARTING,
                    Instant.now());
            revision = publishRoute(ChatBackendEvent.State.SWITCHING, null, a);
            writeState(
                    home,
                    new StateSnapshot(
                            revision,
                            RouteState.SWITCHING,
                            new PublishedRoute(OLD_ID, old.baseUrl(), Engines.BASE_A, a, "local", Instant.now()),
                            List.of(old, started),
                            Instant.now()));
            return config;
        }

        @Override
        public void stop() {
            if (fresh != null && fresh.isAlive()) {
                fresh.destroyForcibly();
            }
            if (finetune != null) {
                finetune.close();
            }
        }
    }

    /**
     * Killed while its engine died: the state file and the topic still route to an engine that is gone, nothing runs,
     * and no {@code initial-model} is set.
     */
    public static class DeadRoute implements QuarkusTestResourceLifecycleManager {

        private static Path home;
        private static FinetuneStandIn finetune;
        private static long revision;

        public static Path home() {
            return home;
        }

        public static long revision() {
            return revision;
        }

        @Override
        public Map<String, String> start() {
            home = freshHome("chat-crash-dead-");
            finetune = new FinetuneStandIn();
            Map<String, String> config = new HashMap<>(LocalEnvironment.common(home, finetune.url()));
            ServableModel a = base(Engines.BASE_A);
            Backend gone = dead(OLD_ID, a);
            revision = publishRoute(ChatBackendEvent.State.ACTIVE, gone, a);
            writeState(
                    home,
                    new StateSnapshot(
                            revision,
                            RouteState.ACTIVE,
                            new PublishedRoute(OLD_ID, gone.baseUrl(), Engines.BASE_A, a, "local", Instant.now()),
                            List.of(gone),
                            Instant.now()));
            return config;
        }

        @Override
        public void stop() {
            if (finetune != null) {
                finetune.close();
            }
        }
    }
}
