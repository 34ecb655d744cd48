package io.sage.studio.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

class ErrorBodyTest {

    @Test
    void theMessageIsAlsoTheSeedsDetailString() throws Exception {
        JsonNode json = StudioJson.mapper()
                .valueToTree(ErrorBody.of(
                        "invalid_field", "num_epochs must be at least 1", List.of(new FieldError("num_epochs", "x"))));
        assertThat(json.path("detail").asText()).isEqualTo("num_epochs must be at least 1");
        assertThat(json.path("error").path("code").asText()).isEqualTo("invalid_field");
        assertThat(json.path("error").path("message").asText()).isEqualTo("num_epochs must be at least 1");
        assertThat(json.path("error").path("details").get(0).path("field").asText())
                .isEqualTo("num_epochs");
    }
}
