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
    void aPathOutsideTheStudioHomeIsStillRejected() {
        given().queryParam("model_path", "/etc/passwd").when().post("/api/finetune/switch-model").then()
                .statusCode(400)
                .body("error.code", equalTo("path_outside_home"));
    }
}
