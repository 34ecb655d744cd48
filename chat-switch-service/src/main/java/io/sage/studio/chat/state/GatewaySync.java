package io.sage.studio.chat.state;

import io.sage.studio.events.ChatBackendEvent;

/**
 * Something outside Kafka that must learn the route: an external SAGE gateway reading
 * {@code SAGE_CHAT_BASE_URL} / {@code SAGE_CHAT_MODEL}. Called after every published route; failures are
 * reported by the implementation and never undo a switch.
 */
public interface GatewaySync {

    void routeChanged(ChatBackendEvent event);

    /** {@code SAGE_CHAT_BASE_URL}: the OpenAI base URL with {@code /v1}, empty when nothing serves. */
    static String baseUrlOf(ChatBackendEvent event) {
        if (event.state() != ChatBackendEvent.State.ACTIVE || event.backend() == null) {
            return "";
        }
        return event.backend().baseUrl().replaceAll("/+$", "") + "/v1";
    }

    /** {@code SAGE_CHAT_MODEL}: the model name requests carry, empty when nothing serves. */
    static String modelOf(ChatBackendEvent event) {
        if (event.state() != ChatBackendEvent.State.ACTIVE || event.backend() == null) {
            return "";
        }
        return event.backend().servedModelName();
    }
}
