package io.sage.studio.gateway.session;

import static io.restassured.RestAssured.given;
import static io.sage.studio.gateway.support.TokenModeProfile.ADMIN;
import static io.sage.studio.gateway.support.TokenModeProfile.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sage.studio.gateway.proxy.OwningService;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.gateway.support.TokenModeProfile;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * With tokens on: {@code GET /api/whoami} answers the caller's name and role as the gateway's authentication
 * resolved them (an admin, a viewer; 401 without a token or with an unknown one), and {@code PATCH
 * /api/webhooks/{id}} (enabling a webhook again) is proxied to the finetune-service for an admin only and, like any
 * change, refused from a foreign page ({@code Origin}).
 */
@QuarkusTest
@TestProfile(TokenModeProfile.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class WhoAmITest {

    @Test
    void whoamiAnswersTheCallersNameAndRole() {
        given().header("Authorization", "Bearer " + ADMIN)
                .get("/api/whoami")
                .then()
                .statusCode(200)
                .body("actor", equalTo("ada"))
                .body("role", equalTo("admin"));
        given().header("Authorization", "Bearer " + VIEWER)
                .get("/api/whoami")
                .then()
                .statusCode(200)
                .body("actor", equalTo("vera"))
                .body("role", equalTo("viewer"));
        given().get("/api/whoami").then().statusCode(401);
        given().header("Authorization", "Bearer not-a-token")
                .get("/api/whoami")
                .then()
                .statusCode(401);
    }

    @Test
    void patchingAWebhookIsProxiedForAnAdminOnly() {
        StandInServices.Service finetune = StandInServices.service(OwningService.FINETUNE);
        given().header("Authorization", "Bearer " + VIEWER)
                .contentType(ContentType.JSON)
                .body("{\"enabled\":true}")
                .patch("/api/webhooks/wh-1")
                .then()
                .statusCode(403);
        given().header("Authorization", "Bearer " + ADMIN)
                .header("Origin", "https://elsewhere.example")
                .contentType(ContentType.JSON)
                .body("{\"enabled\":true}")
                .patch("/api/webhooks/wh-1")
                .then()
                .statusCode(403)
                .body("error.code", equalTo("cross_origin_request"));
        given().header("Authorization", "Bearer " + ADMIN)
                .header("Origin", "http://localhost")
                .contentType(ContentType.JSON)
                .body("{\"enabled\":true}")
                .patch("/api/webhooks/wh-1")
                .then()
                .statusCode(200)
                .body("service", equalTo("finetune-service"))
                .body("method", equalTo("PATCH"))
                .body("path", equalTo("/api/webhooks/wh-1"))
                .body("body", equalTo("{\"enabled\":true}"));
        assertThat(finetune.last().method()).isEqualTo("PATCH");
        assertThat(finetune.last().authorization()).isEqualTo("Bearer " + ADMIN);
    }
}
