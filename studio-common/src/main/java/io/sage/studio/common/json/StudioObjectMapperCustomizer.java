package io.sage.studio.common.json;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;
import io.sage.studio.events.StudioJson;

/** REST payloads speak the same JSON dialect as the events (snake_case, ISO instants). */
@Singleton
public class StudioObjectMapperCustomizer implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        StudioJson.configure(mapper);
    }
}
