package io.sage.studio.common.auth;

import static io.restassured.RestAssured.given;
import static io.sage.studio.common.auth.TokenModeProfile.ADMIN;
import static io.sage.studio.common.auth.TokenModeProfile.ALICE;
import static io.sage.studio.common.auth.TokenModeProfile.API_KEY;
import static io.sage.studio.common.auth.TokenModeProfile.BOB;
import static io.sage.studio.common.auth.TokenModeProfile.EXPIRED;
import static io.sage.studio.common.auth.TokenModeProfile.SERVICE;
import static io.sage.studio.common.auth.TokenModeProfile.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;

@QuarkusTest
@TestProfile(TokenModeProfile.class)
class TokenModeTest {

    @Inject
    @RestClient
    SelfClient otherService;

    @Inject
    StudioClientHeaders clientHeaders;

    /** One endpoint of each class, and the status each caller gets: no token, viewer, trainer, admin. */
    enum Endpoint {
        READ("GET", "/api/finetune/tasks", 401, 200, 200, 200),
        STREAM("GET", "/api/finetune/tasks/stream", 401, 200, 200, 200),
        UPLOAD("POST", "/api/finetune/upload-dataset", 401, 403, 200, 200),
        CREATE("POST", "/api/finetune/create", 401, 403, 201, 201),
        SWITCH("POST", "/api/finetune/switch-model?model_path=models/m1", 401, 403, 403, 200),
        SETTINGS("PUT", "/api/settings", 401, 403, 403, 200),
        ESTIMATE("POST", "/api/system/memory-estimate", 401, 200, 200, 200),
        CHAT_MODELS("GET", "/v1/models", 401, 200, 200, 200),
        CHAT("POST", "/v1/chat/completions", 401, 200, 200, 200),
        HEALTH("GET", "/q/health/live", 200, 200, 200, 200),
        WEB_UI("GET", "/", 200, 200, 200, 200);

        final String method;
        final String path;
        final int[] statuses;

        Endpoint(String method, String path, int... statuses) {
            this.method = method;
            this.path = path;
            this.statuses = statuses;
        }
    }

    static Stream<Arguments> everyRoleAgainstEveryEndpointClass() {
        String[] tokens = {null, VIEWER, ALICE, ADMIN};
        List<Arguments> cases = new ArrayList<>();
        for (Endpoint endpoint : Endpoint.values()) {
            for (int i = 0; i < tokens.length; i++) {
                cases.add(Arguments.of(
                        endpoint,
                        new String[] {"none", "viewer", "trainer", "admin"}[i],
                        tokens[i],
                        endpoint.statuses[i]));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} as {1} -> {3}")
    @MethodSource
    void everyRoleAgainstEveryEndpointClass(Endpoint endpoint, String role, String token, int status) {
        as(token).when().request(endpoint.method, endpoint.path).then().statusCode(status);
    }

    @Test
    void missingTokenIsA401InTheStudioErrorShapeWithABearerChallenge() {
        given().when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .contentType("application/json")
                .body("error.code", equalTo("missing_token"))
                .body("error.message", containsString("Authorization: Bearer"));
    }

    @Test
    void expiredTokenIsRefusedAndSaysSo() {
        as(EXPIRED)
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("token_expired"))
                .body("error.message", containsString("old-ci"));
    }

    @Test
    void unknownTokenIsRefused() {
        as(ALICE + "x")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"));
    }

    @Test
    void otherSchemesThanBearerAreRefused() {
        given().header("Authorization", "Basic YWxpY2U6c2VjcmV0")
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"))
                .body("error.message", containsString("only bearer tokens"));
    }

    @Test
    void forbiddenNamesTheRoleAndWhatItNeeds() {
        as(VIEWER)
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(403)
                .contentType("application/json")
                .body("error.code", equalTo("forbidden"))
                .body("error.message", equalTo("'vera' has role viewer, but POST /api/finetune/create needs trainer"));
    }

    @Test
    void trainersCancelAndDeleteOnlyTheirOwnTasksAndAdminsAnyTask() {
        String mine = as(ALICE)
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .body("owner", equalTo("alice"))
                .extract()
                .path("task_id");

        as(BOB).when()
                .post("/api/finetune/tasks/" + mine + "/cancel")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("not_owner"))
                .body("error.message", containsString("belongs to 'alice'"));
        as(BOB).when().delete("/api/finetune/tasks/" + mine).then().statusCode(403);
        as(VIEWER).when().delete("/api/finetune/tasks/" + mine).then().statusCode(403);
        as(ALICE).when().post("/api/finetune/tasks/" + mine + "/cancel").then().statusCode(200);
        as(ALICE).when().delete("/api/finetune/tasks/" + mine).then().statusCode(204);

        String bobs = as(BOB).when()
                .post("/api/finetune/create")
                .then()
                .statusCode(201)
                .extract()
                .path("task_id");
        as(ADMIN).when().delete("/api/finetune/tasks/" + bobs).then().statusCode(204);
    }

    @Test
    void aPathOutsideTheStudioHomeIsRejectedEvenForAnAdmin() {
        for (String path : new String[] {"/etc/passwd", "../../etc/passwd", "models/../../outside"}) {
            as(ADMIN)
                    .queryParam("model_path", path)
                    .when()
                    .post("/api/finetune/switch-model")
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("path_outside_home"));
        }
    }

    @Test
    void apiKeysOpenTheChatApiOnly() {
        as(API_KEY).when().post("/v1/chat/completions").then().statusCode(200);
        as(API_KEY).when().get("/v1/models").then().statusCode(200);
        as(API_KEY)
                .when()
                .get("/api/finetune/tasks")
                .then()
                .statusCode(401)
                .body("error.code", equalTo("invalid_token"));
    }

    @Test
    void pathTricksAreJudgedAsThePathTheRouterServes() {
        for (String path : new String[] {
            "/api;x=1/finetune/create",
            "/api/finetune//create/",
            "/api/finetune/tasks/../create",
            "/api/%66inetune/create"
        }) {
            as(VIEWER).when().post(path).then().statusCode(403);
        }
        given().when().head("/api/finetune/tasks").then().statusCode(401);
    }

    @Test
    void healthAndTheWebUiNeedNoToken() {
        // Readiness is down here (this test app has no broker), but it answers without a token.
        given().when().get("/q/health/ready").then().statusCode(503).body(containsString("Kafka connection"));
        given().header("Authorization", "Bearer nonsense")
                .when()
                .get("/q/health/live")
                .then()
                .statusCode(200);
        given().when().get("/").then().statusCode(200).body(containsString("<html>"));
    }

    @Test
    void servicesCallEachOtherOutsideARequestWithTheServiceTokenAsAViewer() {
        // The test thread serves no request: the client sends the service token.
        assertThat(otherService.tasks()).isNotNull();
        assertThatThrownBy(() -> otherService.create())
                .isInstanceOfSatisfying(
                        WebApplicationException.class,
                        e -> assertThat(e.getResponse().getStatus()).isEqualTo(403));
        as(SERVICE)
                .when()
                .post("/api/finetune/create")
                .then()
                .statusCode(403)
                .body(
                        "error.message",
                        equalTo("'studio-service' has role viewer, but POST /api/finetune/create needs trainer"));
    }

    @Test
    void insideARequestTheCallersOwnHeaderIsPassedOn() {
        MultivaluedMap<String, String> incoming = new MultivaluedHashMap<>();
        incoming.putSingle("Authorization", "Bearer " + ALICE);
        assertThat(clientHeaders.update(incoming, new MultivaluedHashMap<>()).getFirst("Authorization"))
                .isEqualTo("Bearer " + ALICE);
        assertThat(clientHeaders
                        .update(new MultivaluedHashMap<>(), new MultivaluedHashMap<>())
                        .getFirst("Authorization"))
                .isEqualTo("Bearer " + SERVICE);
        MultivaluedMap<String, String> own = new MultivaluedHashMap<>();
        own.putSingle("Authorization", "Bearer explicit");
        assertThat(clientHeaders.update(incoming, own)).isEmpty();
    }

    private static RequestSpecification as(String token) {
        RequestSpecification request = given().urlEncodingEnabled(false);
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }
}
