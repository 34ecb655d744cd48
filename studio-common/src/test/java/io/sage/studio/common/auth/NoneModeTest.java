package io.sage.studio.common.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The default: mode {@code none} on loopback, where the single local user is the admin. */
@QuarkusTest
class NoneModeTest {

    @Test
    void everyCallerIsTheLocalAdmin() {
        given().when().post("/api/finetune/create").then().statusCode(201).body("owner", equalTo("local"));
        given().when().put("/api/settings").then().statusCode(200);
        given().when().post("/v1/chat/completions").then().statusCode(200);
    }

    @Test
    void aForeignHostIsRefusedWith421BeforeAnythingElseAgainstDnsRebinding() {
        given().header("Host", "evil.example:8080")
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(421)
                .body("error.code", equalTo("host_not_allowed"));
        given().header("Host", "rebound.example")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(421);
        given().header("Host", "rebound.example")
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(421);
        given().header("Host", "localhost:1234")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(200);
    }

    @Test
    void probesReachPodsByAddressWithoutAHostCheck() {
        given().header("Host", "10.1.2.3:8081")
                .when()
                .get("/q/health/live")
                .then()
                .statusCode(200);
    }

    @Test
    void aCrossSitePageCannotChangeAnythingButMayRead() {
        // A drive-by form post: multipart, no preflight, the browser sends the page's Origin.
        given().header("Origin", "https://evil.example")
                .multiPart("file", "x.jsonl", new byte[] {'{', '}'})
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("cross_origin_request"));
        given().header("Origin", "null")
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(403);
        given().header("Sec-Fetch-Site", "cross-site")
                .when()
                .delete("/api/finetune/tasks/task-1")
                .then()
                .statusCode(403);
        given().header("Origin", "https://evil.example")
                .when()
                .put("/api/settings")
                .then()
                .statusCode(403);
        given().header("Origin", "https://evil.example")
                .when()
                .post("/v1/chat/completions")
                .then()
                .statusCode(403);
        given().header("Origin", "https://evil.example")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(200);
    }

    @Test
    void theStudiosOwnPagesTheCliAndSdksPass() {
        given().header("Origin", "http://localhost:8080")
                .header("Sec-Fetch-Site", "same-origin")
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201);
        given().when().post("/api/finetune/create").then().statusCode(201);
        given().header("Sec-Fetch-Site", "none")
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201);
    }

    @Test
    void aPathOutsideTheStudioHomeIsStillRejected() {
        given().queryParam("model_path", "/etc/passwd")
                .when()
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("path_outside_home"));
    }
}
