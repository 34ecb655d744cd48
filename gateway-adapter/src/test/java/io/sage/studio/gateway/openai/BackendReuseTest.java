package io.sage.studio.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawBackend;
import io.sage.studio.gateway.support.RawBackend.Behaviour;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Kept-alive backend connections from the edge's side: reuse, and what happens when the backend drops a pooled
 * connection as a request goes out on it (a keep-alive timeout racing the request). One event loop, so that every
 * request of a test meets the same pool.
 */
@QuarkusTest
@TestProfile(BackendReuseTest.OneLoop.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class BackendReuseTest {

    private static final String CHAT = "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    public static class OneLoop implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.vertx.event-loops-pool-size", "1");
        }
    }

    /** A new backend (a new port) per test: no connection pooled by an earlier test. */
    private RawBackend backend;

    @BeforeEach
    void route() {
        backend = RawBackend.start();
        RoutePublisher.active("raw-backend", backend.baseUrl(), "raw-model");
    }

    @AfterEach
    void stopBackend() throws Exception {
        backend.close();
    }

    private static HttpResponse<String> chat() {
        return Http.send(Http.post("/v1/chat/completions", CHAT));
    }

    @Test
    void requestsShareOneBackendConnection() {
        backend.script((connection, request) -> Behaviour.ANSWER);
        for (int i = 0; i < 5; i++) {
            assertThat(chat().statusCode()).isEqualTo(200);
        }
        assertThat(backend.connections()).isEqualTo(1);
        assertThat(backend.received()).hasSize(5);
    }

    @Test
    void aJsonRequestOnAConnectionTheBackendDropsGoesOnceMoreOnANewOne() {
        int first = 1;
        // The first connection answers once, then drops the next request; new connections answer.
        backend.script((connection, request) -> connection == first && request == 2 ? Behaviour.DROP : Behaviour.ANSWER);
        assertThat(chat().statusCode()).isEqualTo(200);
        HttpResponse<String> retried = chat();
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(retried.headers().firstValue(OpenAiProxy.MODEL_HEADER)).hasValue("raw-model");
        assertThat(backend.received()).extracting(RawBackend.Received::connection)
                .containsExactly(first, first, first + 1);
    }

    @Test
    void aRequestIsRetriedOnlyOnce() {
        int first = 1;
        // Every connection after the first drops what it gets.
        backend.script((connection, request) -> connection == first && request == 1 ? Behaviour.ANSWER : Behaviour.DROP);
        assertThat(chat().statusCode()).isEqualTo(200);
        HttpResponse<String> failed = chat();
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.body()).contains("\"code\":\"backend_failed\"").contains("closed the connection");
        assertThat(backend.received()).hasSize(3);
    }

    @Test
    void aStreamedBodyIsNotSentTwice() {
        int first = 1;
        backend.script((connection, request) -> connection == first && request == 2 ? Behaviour.DROP : Behaviour.ANSWER);
        assertThat(chat().statusCode()).isEqualTo(200);
        // Not JSON: streamed through as it arrives, so there is nothing to send again.
        HttpResponse<String> failed = Http.send(HttpRequest.newBuilder(Http.uri("/v1/audio/transcriptions"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofString("RIFF....WAVE")).build());
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(failed.body()).contains("\"code\":\"backend_failed\"");
        assertThat(backend.received()).hasSize(2);
    }
}
