package io.sage.studio.gateway;

import java.net.URI;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.OpenApiSnapshot;

/**
 * The committed {@code studio-ui/src/api/openapi/gateway.json} is the gateway's own OpenAPI document (its
 * {@code /api/gateway/status} and {@code /api/whoami}; {@code /v1} is OpenAI's API), and {@code /q/openapi} serves it.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
class OpenApiDocumentTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void committedDocumentIsCurrent() throws Exception {
        OpenApiSnapshot.check(base, "gateway");
    }
}
