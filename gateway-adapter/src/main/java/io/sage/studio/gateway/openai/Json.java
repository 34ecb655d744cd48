package io.sage.studio.gateway.openai;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.sage.studio.events.StudioJson;
import io.vertx.core.buffer.Buffer;

/** JSON bodies the gateway writes itself, in the studio dialect (snake_case). */
final class Json {

    private Json() {}

    static Buffer buffer(Object value) {
        try {
            return Buffer.buffer(StudioJson.mapper().writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
        }
    }
}
