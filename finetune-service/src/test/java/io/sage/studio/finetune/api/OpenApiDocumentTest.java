package io.sage.studio.finetune.api;

import java.net.URI;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;
import io.sage.studio.testkit.OpenApiSnapshot;

/** The committed {@code studio-ui/src/api/openapi/finetune.json} is this service's OpenAPI document (the UI's types). */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class OpenApiDocumentTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void committedDocumentIsCurrent() throws Exception {
        OpenApiSnapshot.check(base, "finetune");
    }
}
