package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.proxy.OwningService;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RawClient;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * Load on demand against a stand-in chat-switch service that speaks {@code POST /api/chat/serving/on-demand} as
 * docs/ARCHITECTURE.md describes it, and publishes the route that serves the model, as the service does: the request
 * waits for the route (one call per name however many wait), a refusal is a 404 with the service's reason, a model
 * that never appears a 504, and more waiting requests than allowed a 503. Tests that leave a load unfinished use a
 * name of their own: an accepted load keeps its one call per name until a route serves the name or the wait time
 * passes, which may outlast the test.
 */
@QuarkusTest
@TestProfile(LoadOnDemandTest.ShortWaits.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class LoadOnDemandTest {

    /** Waits of three seconds, two at a time. */
    public static class ShortWaits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "studio.gateway.load-on-demand-timeout", "3s",
                    "studio.gateway.max-on-demand-waits", "2");
        }
    }

    /** One call the stand-in service received. */
    record Call(String query, String authorization, JsonObject body) {}

    private static StandInBackend base;
    private static StandInBackend lazy;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

    @BeforeAll
    static void startBackends() {
        base = StandInBackend.start("od-base");
        lazy = StandInBackend.start("od-lazy");
    }

    @AfterAll
    static void stopBackends() throws Exception {
        base.close();
        lazy.close();
    }

    @BeforeEach
    void routeToTheBaseOnly() {
        base.reset();
        lazy.reset();
        RoutePublisher.active(base);
    }

    @AfterEach
    void forgetTheServingHandler() {
        gate.complete(null);
        chatSwitch().serving(null);
    }

    private static StandInServices.Service chatSwitch() {
        return StandInServices.service(OwningService.CHAT);
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /**
     * The service's answer to {@code POST /api/chat/serving/on-demand}: once {@link #gate} opens, {@code status} with a
     * {@code ServeResult}; with {@code publish}, the route that serves {@code od-lazy} by name first (as the service
     * does before it answers a {@code wait=true} call).
     */
    private void serving(int status, boolean publish) {
        chatSwitch()
                .serving(request -> request.body().onSuccess(body -> {
                    calls.add(new Call(request.query(), request.getHeader("Authorization"), body.toJsonObject()));
                    Context context = Vertx.currentContext();
                    gate.thenRunAsync(() -> {
                                if (publish) {
                                    RoutePublisher.serving(
                                            RoutePublisher.backend(base), List.of(RoutePublisher.backend(lazy)), null);
                                }
                            })
                            .thenRun(() -> context.runOnContext(v -> answer(request, status)));
                }));
    }

    private static void answer(HttpServerRequest request, int status) {
        request.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("model", "od-lazy")
                        .put("display_name", "task-lazy")
                        .put("engine", "standin-od-lazy")
                        .put("state", status == 200 ? "ready" : "loading")
                        .put("operation_id", "op-serve")
                        .encode());
    }

    @Test
    @Timeout(30)
    void aModelTheRouteDoesNotServeIsLoadedOnFirstUseWhileTheRequestWaits() {
        serving(200, true);
        given().contentType(ContentType.JSON)
                .header("Authorization", "Bearer caller-token")
                .body(chat("od-lazy"))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "od-lazy")
                .body("choices[0].message.content", equalTo("hello from od-lazy"));
        assertThat(calls).hasSize(1);
        Call call = calls.get(0);
        assertThat(call.body()).isEqualTo(new JsonObject().put("model", "od-lazy"));
        assertThat(call.authorization())
                .as("the client's credentials never leave the gateway (the services' token goes when auth is on)")
                .isNull();
        assertThat(lazy.last().headers().contains("Authorization")).isFalse();
        assertThat(base.received()).isEmpty();

        // Served now: the next request goes straight there.
        given().contentType(ContentType.JSON)
                .body(chat("od-lazy"))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        assertThat(calls).hasSize(1);
    }

    @Test
    @Timeout(30)
    void requestsWaitingForOneModelShareOneCallAndBeyondTheLimitAreTurnedAway() throws Exception {
        gate = new CompletableFuture<>();
        serving(202, true);
        List<CompletableFuture<HttpResponse<String>>> waiting = List.of(
                Http.sendAsync(Http.post("/v1/chat/completions", chat("od-lazy"))),
                Http.sendAsync(Http.post("/v1/chat/completions", chat("od-lazy"))));
        await().atMost(Duration.ofSeconds(10)).until(() -> waiting() == 2);

        given().contentType(ContentType.JSON)
                .body(chat("od-other"))
                .post("/v1/chat/completions")
                .then()
                .statusCode(503)
                .header("Retry-After", "1")
                .body("error.code", equalTo("too_many_model_loads"))
                .body("error.message", containsString("studio.gateway.max-on-demand-waits"));

        gate.complete(null);
        for (CompletableFuture<HttpResponse<String>> answer : waiting) {
            HttpResponse<String> response = answer.get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue(OpenAiProxy.MODEL_HEADER)).hasValue("od-lazy");
        }
        assertThat(calls).as("one call for the model, however many wait").hasSize(1);
        assertThat(lazy.received()).hasSize(2);
        given().get("/api/gateway/status").then().body("load_on_demand.waiting", equalTo(0));
    }

    @Test
    void aModelTheServiceCannotLoadIsA404WithItsReasonAndIsNotAskedForAgainAtOnce() {
        chatSwitch()
                .serving(request -> request.body().onSuccess(body -> {
                    calls.add(new Call(request.query(), request.getHeader("Authorization"), body.toJsonObject()));
                    request.response()
                            .setStatusCode(409)
                            .putHeader("Content-Type", "application/json")
                            .end(new JsonObject()
                                    .put(
                                            "error",
                                            new JsonObject()
                                                    .put("code", "not_loadable_on_demand")
                                                    .put(
                                                            "message",
                                                            "task-9 needs an engine of its own: serve it first"))
                                    .encode());
                }));
        for (int i = 0; i < 3; i++) {
            given().contentType(ContentType.JSON)
                    .body(chat("task-9"))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(404)
                    .body("error.code", equalTo("model_not_found"))
                    .body("error.param", equalTo("model"))
                    .body(
                            "error.message",
                            allOf(
                                    containsString("task-9 needs an engine of its own"),
                                    containsString("not_loadable_on_demand")));
        }
        assertThat(calls).as("a refusal is remembered for a few seconds").hasSize(1);
        assertThat(base.received()).isEmpty();
    }

    @Test
    @Timeout(30)
    void aModelThatNeverAppearsInTheRouteEndsTheWaitWith504() {
        serving(202, false);
        long started = System.nanoTime();
        given().contentType(ContentType.JSON)
                .body(chat("od-never"))
                .post("/v1/chat/completions")
                .then()
                .statusCode(504)
                .body("error.code", equalTo("model_load_timeout"))
                .body("error.message", containsString("studio.gateway.load-on-demand-timeout"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
        assertThat(lazy.received()).isEmpty();
        given().get("/api/gateway/status").then().body("load_on_demand.waiting", equalTo(0));
    }

    @Test
    @Timeout(30)
    void aClientThatLeavesWhileWaitingFreesItsPlace() {
        gate = new CompletableFuture<>();
        serving(202, false);
        String body = chat("od-leaving");
        try (RawClient client = RawClient.connect()) {
            client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            await().atMost(Duration.ofSeconds(10)).until(() -> waiting() == 1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> waiting() == 0);
    }

    private static int waiting() {
        return given().get("/api/gateway/status").then().extract().path("load_on_demand.waiting");
    }
}
