package io.sage.studio.common.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.security.PrivateKey;
import java.time.Instant;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;

@QuarkusTest
@TestProfile(OidcModeProfile.class)
class OidcModeTest {

    static String token(String user, Set<String> groups, Instant expiresAt, PrivateKey key) {
        return Jwt.issuer(OidcModeProfile.ISSUER)
                .subject(user + "-id")
                .preferredUserName(user)
                .groups(groups)
                .issuedAt(expiresAt.minusSeconds(3600))
                .expiresAt(expiresAt)
                .jws()
                .keyId("k1")
                .sign(key);
    }

    static String token(String user, String... groups) {
        return token(user, Set.of(groups), Instant.now().plusSeconds(600), OidcModeProfile.PROVIDER_KEYS.getPrivate());
    }

    @Test
    void rolesComeFromTheGroupsClaim() {
        as(token("vera", "studio-viewer"))
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(200);
        as(token("vera", "studio-viewer"))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(403)
                .body("error.message", equalTo("'vera' has role viewer, but POST /api/finetune/create needs trainer"));
        as(token("alice", "studio-trainer", "other-group"))
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .body("owner", equalTo("alice"));
        as(token("alice", "studio-trainer"))
                .when()
                .post("/api/finetune/switch-model?model_path=models/m")
                .then()
                .statusCode(403);
        as(token("root", "studio-viewer", "studio-admin"))
                .when()
                .post("/api/finetune/switch-model?model_path=models/m")
                .then()
                .statusCode(200);
    }

    @Test
    void aTokenWithoutAStudioRoleIsForbidden() {
        as(token("eve", "admin", "developers"))
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("no_role"))
                .body("error.message", containsString("studio-viewer"));
    }

    @Test
    void expiredTokensAreRefused() {
        String expired = token(
                "alice",
                Set.of("studio-trainer"),
                Instant.now().minusSeconds(600),
                OidcModeProfile.PROVIDER_KEYS.getPrivate());
        as(expired)
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"));
    }

    @Test
    void tokensSignedByAnotherKeyAreRefused() {
        String forged = token(
                "mallory",
                Set.of("studio-admin"),
                Instant.now().plusSeconds(600),
                OidcModeProfile.rsa().getPrivate());
        as(forged)
                .when()
                .post("/api/finetune/switch-model?model_path=models/m")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"));
    }

    @Test
    void missingAndMalformedTokensAreRefusedButHealthStaysOpen() {
        given().when().get("/api/finetune/tasks").then().statusCode(401).body("error.code", equalTo("missing_token"));
        as("not-a-jwt")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"));
        as("not-a-jwt").when().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void aPathOutsideTheStudioHomeIsRejectedEvenForAnAdmin() {
        as(token("root", "studio-admin"))
                .queryParam("model_path", "/etc/passwd")
                .when()
                .post("/api/finetune/switch-model")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("path_outside_home"));
    }

    private static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }
}
