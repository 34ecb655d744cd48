package io.sage.studio.common.openapi;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.testkit.OpenApiSnapshot;

/** {@code /q/openapi} from the committed document ({@code META-INF/openapi/test-service.json} of the test class path). */
@QuarkusTest
class CommittedOpenApiTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void servesTheCommittedDocumentAsJsonAndAsYamlThatReadsBackTheSame() throws Exception {
        // Every way of asking for either format; the YAML read by SnakeYAML, which would take a bare
        // 2022-03-10T16:15:50Z for a timestamp and a bare yes or ~ for a boolean or null.
        OpenApiSnapshot.checkServed(base, committed());
        given().get("/q/openapi.json").then().contentType("application/json;charset=UTF-8");
        given().get("/q/openapi.yml").then().contentType("application/yaml;charset=UTF-8");
    }

    @Test
    void anUnknownFormatIsA400NamingTheParameter() {
        given().queryParam("format", "xml")
                .get("/q/openapi")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("format"));
    }

    @Test
    void answersHeadAndOptions() {
        given().head("/q/openapi")
                .then()
                .statusCode(200)
                .contentType(startsWith("application/yaml"))
                .body(emptyString());
        given().options("/q/openapi").then().statusCode(204).header("Allow", "GET, HEAD, OPTIONS");
    }

    @Test
    void choosesTheFormatAsTheOpenApiExtensionDoes() {
        assertThat(CommittedOpenApi.wantsJson("/q/openapi.json", List.of("yaml"), null))
                .contains(true);
        assertThat(CommittedOpenApi.wantsJson("/q/openapi.yaml", List.of(), "application/json"))
                .contains(false);
        assertThat(CommittedOpenApi.wantsJson("/q/openapi", List.of("json"), "application/yaml"))
                .contains(true);
        assertThat(CommittedOpenApi.wantsJson("/q/openapi", List.of(), "text/html, application/json;q=0.9"))
                .contains(true);
        assertThat(CommittedOpenApi.wantsJson("/q/openapi", List.of(), null)).contains(false);
        assertThat(CommittedOpenApi.wantsJson("/q/openapi", List.of("toml"), null))
                .isEqualTo(Optional.empty());
    }

    @Test
    void resolvesThePathAsQuarkusResolvesTheNonApplicationRoot() {
        assertThat(CommittedOpenApi.documentPath("/", "q")).isEqualTo("/q/openapi");
        assertThat(CommittedOpenApi.documentPath("/studio", "q")).isEqualTo("/studio/q/openapi");
        assertThat(CommittedOpenApi.documentPath("/studio/", "q/")).isEqualTo("/studio/q/openapi");
        assertThat(CommittedOpenApi.documentPath("/studio", "/manage")).isEqualTo("/manage/openapi");
    }

    private static String committed() throws IOException {
        try (InputStream in = CommittedOpenApiTest.class.getResourceAsStream("/META-INF/openapi/test-service.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
