package io.sage.studio.finetune.evaluation;

import java.util.List;

import io.sage.studio.finetune.dataset.ChatMessage;

/**
 * The serving layer as an evaluation uses it: make a model answer by name without switching what users get, then
 * ask it. Behind an interface so that the runner does not care whether the chat-switch-service and the gateway
 * answer, or a test's stand-ins speaking their APIs.
 */
public interface ServingClient {

    /**
     * Makes {@code model} (a task id, model id, registry name or served name) answer by name beside whatever is
     * served, and waits until it does.
     *
     * @param authorization the {@code Authorization} of the user who asked for the evaluation, or {@code null}
     *                      for the services' token
     * @return the served name to send as {@code model}
     */
    String serve(String model, String authorization) throws ServingException;

    /** One chat completion of {@code servedModel}, without streaming, with at most {@code maxTokens}. */
    Answer complete(String servedModel, List<ChatMessage> messages, int maxTokens) throws ServingException;

    /** An answer and how long it took. */
    record Answer(String text, long latencyMs) {}

    /** A refusal or failure of the serving layer, with a code for the evaluation's {@code error}. */
    class ServingException extends Exception {

        private static final long serialVersionUID = 1L;
        private final String code;

        public ServingException(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }
}
