package io.sage.studio.gateway.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.gateway.support.TestVertx;
import io.sage.studio.kafka.KafkaTestResource;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class ServiceProxyTest {

    private static StandInServices.Service service(OwningService owner) {
        return StandInServices.service(owner);
    }

    @Test
    void eachPathGoesToTheServiceThatOwnsIt() {
        given().get("/api/finetune/tasks?limit=5")
                .then()
                .statusCode(200)
                .body("service", equalTo("finetune-service"))
                .body("path", equalTo("/api/finetune/tasks"))
                .body("query", equalTo("limit=5"));
        given().get("/api/finetune/current-model").then().body("service", equalTo("chat-switch-service"));
        given().post("/api/finetune/switch-model?model_path=/m")
                .then()
                .body("service", equalTo("chat-switch-service"))
                .body("query", equalTo("model_path=%2Fm"));
        given().contentType("application/json")
                .body("{\"task_id\":\"t1\"}")
                .post("/api/finetune/use-as-backend")
                .then()
                .body("service", equalTo("chat-switch-service"))
                .body("body", equalTo("{\"task_id\":\"t1\"}"));
        given().get("/api/chat/switch/op-1").then().body("service", equalTo("chat-switch-service"));
        given().get("/api/system/gpu-info").then().body("service", equalTo("gpu-probe-service"));
        given().delete("/api/finetune/tasks/t1")
                .then()
                .body("service", equalTo("finetune-service"))
                .body("method", equalTo("DELETE"));
    }

    @Test
    void authorizationAndForwardingHeadersArePassedOn() {
        given().header("Authorization", "Bearer user-token")
                .get("/api/finetune/models")
                .then()
                .statusCode(200);
        StandInServices.Service.Received received =
                service(OwningService.FINETUNE).last();
        assertThat(received.authorization()).isEqualTo("Bearer user-token");
        assertThat(received.forwardedFor()).isEqualTo("127.0.0.1");
    }

    @Test
    void gatewayEndpointsAndUnknownApiPathsAreNotProxied() {
        given().get("/api/gateway/status").then().statusCode(200).body("model_alias", equalTo("sage-chat"));
        // mode none: the single local user, an admin (WhoAmITest: tokens)
        given().get("/api/whoami")
                .then()
                .statusCode(200)
                .body("actor", equalTo("local"))
                .body("role", equalTo("admin"));
        given().get("/api/unknown/thing").then().statusCode(404).body("error.code", equalTo("not_found"));
    }

    @Test
    @Timeout(30)
    void serverSentEventsStreamThroughAsTheyCome() throws Exception {
        StandInServices.Service finetune = service(OwningService.FINETUNE);
        finetune.holdStreams();
        try (Http.Stream stream = Http.open(HttpRequest.newBuilder(Http.uri("/api/finetune/tasks/stream"))
                .GET()
                .build())) {
            assertThat(stream.response().headers().firstValue("content-type")).hasValue("text/event-stream");
            assertThat(stream.nextLine()).isEqualTo("event: task");
            // The service holds its second event: the first one got here unbuffered.
            assertThat(stream.nextLine()).isEqualTo("data: {\"n\":1}");
            finetune.release();
            assertThat(stream.rest()).containsExactly("event: task", "data: {\"n\":2}");
        }
    }

    @Test
    @Timeout(30)
    void uploadsStreamToTheServiceBeforeTheClientHasSentThemWhole() throws Exception {
        StandInServices.Service finetune = service(OwningService.FINETUNE);
        HttpClient client = TestVertx.get().createHttpClient();
        MessageDigest sha = StandInServices.sha256();
        Buffer firstPart = StandInServices.Service.downloadChunk(0);
        HttpClientRequest request = client.request(new RequestOptions()
                        .setMethod(HttpMethod.POST)
                        .setHost("127.0.0.1")
                        .setPort(RestAssured.port)
                        .setURI("/api/finetune/upload-dataset")
                        .putHeader("Content-Type", "multipart/form-data; boundary=x"))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        request.setChunked(true);
        request.write(firstPart);
        sha.update(firstPart.getBytes());
        // The client holds the rest back until the service has the first part: no buffering in between.
        await().atMost(Duration.ofSeconds(10)).until(() -> finetune.uploadedBytes() == firstPart.length());
        long total = firstPart.length();
        for (int i = 1; i < 48; i++) {
            Buffer part = StandInServices.Service.downloadChunk(i * 65536);
            request.write(part);
            sha.update(part.getBytes());
            total += part.length();
        }
        request.end();
        int[] status = {0};
        Buffer body = request.response()
                .compose(response -> {
                    status[0] = response.statusCode();
                    return response.body();
                })
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertThat(status[0]).as("answer %s", body).isEqualTo(200);
        JsonObject answer = body.toJsonObject();
        assertThat(answer.getLong("bytes")).isEqualTo(total);
        assertThat(answer.getString("sha256")).isEqualTo(HexFormat.of().formatHex(sha.digest()));
        client.close();
    }

    @Test
    void downloadsStreamThroughIntactWithTheirHeaders() throws Exception {
        ExtractableResponse<Response> response = given().get("/api/finetune/tasks/t1/download")
                .then()
                .statusCode(200)
                .header("Content-Disposition", "attachment; filename=\"model.tar.gz\"")
                .header("Content-Length", Integer.toString(StandInServices.DOWNLOAD_BYTES))
                .extract();
        MessageDigest expected = StandInServices.sha256();
        for (int offset = 0; offset < StandInServices.DOWNLOAD_BYTES; offset += 65536) {
            expected.update(StandInServices.Service.downloadChunk(offset).getBytes());
        }
        MessageDigest actual = StandInServices.sha256();
        try (InputStream body = response.asInputStream()) {
            actual.update(body.readAllBytes());
        }
        assertThat(actual.digest()).isEqualTo(expected.digest());
    }

    @Test
    void anUnreachableServiceIsA502NamingIt() throws Exception {
        StandInServices.Service gpu = service(OwningService.GPU);
        gpu.stop();
        try {
            given().get("/api/system/gpu-info")
                    .then()
                    .statusCode(502)
                    .body("error.code", equalTo("service_unreachable"))
                    .body("error.message", containsString("gpu-probe-service"))
                    .body("error.message", containsString(gpu.url()));
        } finally {
            gpu.restart();
        }
        given().get("/api/system/gpu-info").then().statusCode(200);
    }
}
