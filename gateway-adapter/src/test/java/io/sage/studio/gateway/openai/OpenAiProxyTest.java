package io.sage.studio.gateway.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.nullValue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.support.ActiveStandIn;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.DashboardMetrics;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class OpenAiProxyTest {

    @RegisterExtension
    static final ActiveStandIn standIn = new ActiveStandIn("qwen-0.5b-ft-a");

    @Test
    void aliasIsRewrittenToTheServedModelAndTheAnswerNamesIt() {
        given().contentType(ContentType.JSON)
                .body(
                        "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.7}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "qwen-0.5b-ft-a")
                .header(OpenAiProxy.BACKEND_HEADER, "standin-qwen-0.5b-ft-a")
                .body("choices[0].message.content", equalTo("hello from qwen-0.5b-ft-a"));
        StandInBackend.Received received = standIn.backend().last();
        assertThat(received.uri()).isEqualTo("/v1/chat/completions");
        assertThat(received.json().getString("model")).isEqualTo("qwen-0.5b-ft-a");
        assertThat(received.json().getDouble("temperature")).isEqualTo(0.7);
        assertThat(received.json().getJsonArray("messages").getJsonObject(0).getString("content"))
                .isEqualTo("hi");
    }

    @Test
    void servedNameDisplayNameEmptyAndMissingModelAllReachTheActiveModel() {
        for (String model : List.of("\"qwen-0.5b-ft-a\"", "\"qwen-0.5b-ft-a-display\"", "\"\"", "null")) {
            given().contentType(ContentType.JSON)
                    .body("{\"model\":" + model + ",\"prompt\":\"hi\"}")
                    .post("/v1/completions")
                    .then()
                    .statusCode(200)
                    .body("choices[0].text", equalTo("hello from qwen-0.5b-ft-a"));
            assertThat(standIn.backend().last().json().getString("model"))
                    .as("for model %s", model)
                    .isEqualTo("qwen-0.5b-ft-a");
        }
        given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"hi\"}")
                .post("/v1/completions")
                .then()
                .statusCode(200);
        assertThat(standIn.backend().last().json().getString("model")).isEqualTo("qwen-0.5b-ft-a");
    }

    @Test
    void theFastRouteOfModeNoneRefusesAForeignHostAndACrossSitePageBeforeTheBackend() {
        standIn.backend().reset();
        given().header("Host", "rebound.evil.example")
                .contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(421)
                .body("error.code", equalTo("host_not_allowed"));
        given().header("Host", "rebound.evil.example").get("/v1/models").then().statusCode(421);
        given().header("Origin", "https://evil.example")
                .contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("cross_origin_request"));
        assertThat(standIn.backend().received()).isEmpty();
        given().header("Origin", "http://localhost:8080")
                .contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
    }

    @Test
    void unknownModelIsA404InOpenAiShapeAndNeverReachesTheBackend() {
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"gpt-4o\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(404)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"))
                .body("error.message", containsString("gpt-4o"));
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    void malformedJsonIsA400InOpenAiShape() {
        given().contentType(ContentType.JSON)
                .body("{\"model\": \"sage-chat\", \"messages\": [")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_json"))
                .body("error.param", nullValue());
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    void modelsListsTheServedNameAndTheAlias() {
        given().get("/v1/models")
                .then()
                .statusCode(200)
                .header(OpenAiProxy.MODEL_HEADER, "qwen-0.5b-ft-a")
                .body("object", equalTo("list"))
                .body("data.id", contains("qwen-0.5b-ft-a", "sage-chat"))
                .body("data.object", contains("model", "model"))
                .body("data[1].root", equalTo("qwen-0.5b-ft-a"));
        given().get("/v1/models/sage-chat").then().statusCode(200).body("id", equalTo("sage-chat"));
        given().get("/v1/models/other").then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }

    @Test
    void otherV1PathsPassThroughWithTheirQueryAndTheModelRewritten() {
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"input\":\"hi\"}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("path", equalTo("/v1/embeddings"))
                .body("model", equalTo("qwen-0.5b-ft-a"));
        given().get("/v1/custom/thing?x=1&y=two")
                .then()
                .statusCode(200)
                .body("path", equalTo("/v1/custom/thing"))
                .body("query", equalTo("x=1&y=two"));
        given().contentType(ContentType.JSON)
                .body("{\"input\":\"hi\"}")
                .post("/v1/embeddings")
                .then()
                .statusCode(200)
                .body("model", nullValue());
    }

    @Test
    @Timeout(20)
    void anEmptyAnswerWithContentLengthZeroEnds() {
        for (int i = 0; i < 2; i++) {
            io.restassured.response.Response answer = given().get("/v1/empty");
            answer.then().statusCode(200).header("Content-Length", "0");
            assertThat(answer.asByteArray()).isEmpty();
        }
    }

    @Test
    void aLargeAnswerArrivesWholeAndTheConnectionServesTheNextRequest() {
        int dimensions = 300_000;
        for (int i = 0; i < 2; i++) {
            io.restassured.response.Response answer = given().contentType(ContentType.JSON)
                    .body("{\"model\":\"sage-chat\",\"input\":\"hi\",\"dimensions\":" + dimensions + "}")
                    .post("/v1/embeddings");
            answer.then()
                    .statusCode(200)
                    .header(OpenAiProxy.MODEL_HEADER, "qwen-0.5b-ft-a")
                    .body("model", equalTo("qwen-0.5b-ft-a"));
            byte[] body = answer.asByteArray();
            assertThat(body.length).isGreaterThan(1_000_000);
            assertThat(answer.header("Content-Length")).isEqualTo(Integer.toString(body.length));
            List<Float> vector = answer.jsonPath().getList("data[0].embedding", Float.class);
            assertThat(vector).hasSize(dimensions);
            assertThat(vector.get(dimensions - 1)).isEqualTo((dimensions - 1) / 1000f);
        }
    }

    @Test
    void adapterAdminEndpointsAreNotExposed() {
        given().contentType(ContentType.JSON)
                .body("{\"lora_name\":\"x\",\"lora_path\":\"/etc\"}")
                .post("/v1/load_lora_adapter")
                .then()
                .statusCode(404)
                .body("error.code", equalTo("not_found"));
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    @Timeout(30)
    void streamedChunksReachTheClientBeforeTheBackendFinishes() throws Exception {
        standIn.backend().holdStreams();
        try (Http.Stream stream = Http.open(Http.post(
                "/v1/chat/completions",
                "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))) {
            assertThat(stream.response().statusCode()).isEqualTo(200);
            assertThat(stream.response().headers().firstValue("content-type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(stream.response().headers().firstValue(OpenAiProxy.MODEL_HEADER))
                    .hasValue("qwen-0.5b-ft-a");
            // The backend is holding everything after its first chunk: this line can only come through unbuffered.
            assertThat(stream.nextLine()).contains("\"role\":\"assistant\"");
            standIn.backend().release();
            List<String> rest = stream.rest();
            assertThat(rest).hasSize(5);
            assertThat(rest.get(0)).contains("\"content\":\"hello\"");
            assertThat(rest.get(1)).contains("\"content\":\" from\"");
            assertThat(rest.get(2)).contains("\"content\":\" qwen-0.5b-ft-a\"");
            assertThat(rest.get(3)).contains("\"finish_reason\":\"stop\"");
            assertThat(rest.get(4)).isEqualTo("data: [DONE]");
        }
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString(
                        "studio_gateway_time_to_first_token_seconds_count{backend=\"standin-qwen-0.5b-ft-a\""));
    }

    @Test
    @Timeout(30)
    void clientDisconnectCancelsTheUpstreamRequest() throws Exception {
        standIn.backend().holdStreams();
        String body = "{\"model\":\"sage-chat\",\"stream\":true,\"messages\":[]}";
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.contains("data: "));
            assertThat(line).contains("\"role\":\"assistant\"");
            given().get("/api/gateway/status").then().body("requests.in_flight", equalTo(1));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> standIn.backend().cancelledStreams() == 1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> given().get("/api/gateway/status").then().body("requests.in_flight", equalTo(0)));
        given().get("/q/metrics").then().body(containsString("outcome=\"cancelled\""));
    }

    @Test
    void requestCountsAndMetricsArePerBackend() {
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"prompt\":\"x\"}")
                .post("/v1/completions")
                .then()
                .statusCode(200);
        given().get("/api/gateway/status")
                .then()
                .statusCode(200)
                .body("state", equalTo("active"))
                .body("ready", equalTo(true))
                .body("backend.served_model_name", equalTo("qwen-0.5b-ft-a"))
                .body("backends.find { it.backend == 'standin-qwen-0.5b-ft-a' }.requests", greaterThan(0));
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics)
                .contains(
                        "studio_gateway_requests_total{backend=\"standin-qwen-0.5b-ft-a\",model=\"qwen-0.5b-ft-a\",outcome=\"ok\"}")
                .contains("studio_gateway_request_duration_seconds_bucket{backend=\"standin-qwen-0.5b-ft-a\"")
                .contains("studio_gateway_in_flight");
        // The chart's Grafana dashboard queries these names (deploy/helm/sage-studio/dashboards/metrics.txt).
        assertThat(DashboardMetrics.missing(metrics, "studio_gateway_")).isEmpty();
    }

    @Test
    void anUnreachableBackendIsA502NamingIt() throws Exception {
        int deadPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            deadPort = probe.getLocalPort();
        }
        RoutePublisher.active("dead-backend", "http://127.0.0.1:" + deadPort, "dead-model");
        given().contentType(ContentType.JSON)
                .body("{\"model\":\"sage-chat\",\"messages\":[]}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(502)
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("backend_unreachable"))
                .body("error.message", containsString("dead-backend"));
    }

    /** {@code null}: no Content-Type header at all. */
    private static HttpResponse<String> post(String path, String contentType, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(Http.uri(path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return Http.send(request.build());
    }

    @Test
    void aJsonEndpointReadsEveryBodyAsJsonWhateverItsContentTypeSays() {
        // vLLM (FastAPI) parses a body without Content-Type as JSON: the gateway must check what the engine reads.
        for (String type : new String[] {
            null,
            "",
            "text/plain",
            "application/vnd.custom+json",
            "*/*",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-8"
        }) {
            HttpResponse<String> other = post("/v1/chat/completions", type, "{\"model\":\"gpt-4o\",\"messages\":[]}");
            assertThat(other.statusCode())
                    .as("Content-Type %s: %s", type, other.body())
                    .isEqualTo(404);
            assertThat(other.body()).contains("\"code\":\"model_not_found\"");
            assertThat(standIn.backend().arrived()).as("Content-Type %s", type).isZero();

            HttpResponse<String> alias = post(
                    "/v1/chat/completions",
                    type,
                    "{\"model\":\"sage-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(alias.statusCode())
                    .as("Content-Type %s: %s", type, alias.body())
                    .isEqualTo(200);
            StandInBackend.Received received = standIn.backend().last();
            assertThat(received.json().getString("model")).isEqualTo("qwen-0.5b-ft-a");
            assertThat(received.headers().get("Content-Type")).startsWith("application/json");
            standIn.backend().reset();
        }
        HttpResponse<String> notJson = post("/v1/embeddings", "text/plain", "model=gpt-4o&input=hi");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("\"code\":\"invalid_json\"");
        assertThat(standIn.backend().arrived()).isZero();
    }

    @Test
    void multipartAudioBodiesGoThroughAsTheyCame() {
        String multipart = "--b0undary\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nsage-chat\r\n"
                + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\nRIFF....WAVE\r\n--b0undary--\r\n";
        HttpResponse<String> answer =
                post("/v1/audio/transcriptions", "multipart/form-data; boundary=b0undary", multipart);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(standIn.backend().last().body()).isEqualTo(multipart);
        assertThat(standIn.backend().last().headers().get("Content-Type"))
                .isEqualTo("multipart/form-data; boundary=b0undary");
    }
}
