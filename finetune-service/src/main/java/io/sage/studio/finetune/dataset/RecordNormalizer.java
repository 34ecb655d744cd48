package io.sage.studio.finetune.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Checks one decoded record against its format and turns it into chat messages. Error codes follow the spirit
 * of OpenAI's fine-tuning data checks ({@code missing_messages}, {@code unrecognized_role}, …). Messages name
 * the field and the problem, never a value of the record.
 */
final class RecordNormalizer {

    private static final Set<String> CHAT_ROLES = Set.of("system", "user", "assistant");
    private static final Map<String, String> SHAREGPT_ROLES = Map.of(
            "human",
            "user",
            "user",
            "user",
            "gpt",
            "assistant",
            "assistant",
            "assistant",
            "chatgpt",
            "assistant",
            "bing",
            "assistant",
            "system",
            "system");

    private RecordNormalizer() {}

    /** The outcome for one record: messages, or an error code and message. */
    record Result(List<ChatMessage> messages, String code, String message) {

        static Result ok(List<ChatMessage> messages) {
            return new Result(messages, null, null);
        }

        static Result error(String code, String message) {
            return new Result(null, code, message);
        }

        boolean valid() {
            return messages != null;
        }
    }

    /**
     * @param expected the dataset's format (from its first recognised record), or {@code null} when not known yet
     */
    static Result normalize(JsonNode record, DatasetFormat expected) {
        if (!record.isObject()) {
            return Result.error("not_an_object", "each record must be a JSON object, got " + kind(record));
        }
        DatasetFormat format = DatasetFormat.detect(record);
        if (format == null) {
            if (expected == null) {
                return Result.error(
                        "unrecognized_format",
                        "record has none of the keys messages, conversations, " + "instruction or prompt/completion");
            }
            format = expected;
        } else if (expected != null && format != expected) {
            return Result.error(
                    "format_mismatch",
                    "record is in " + format.wire() + " format but the dataset is " + expected.wire());
        }
        return switch (format) {
            case OPENAI -> openai(record);
            case SHAREGPT -> sharegpt(record);
            case ALPACA -> alpaca(record);
            case PROMPT_COMPLETION -> promptCompletion(record);
        };
    }

    private static Result openai(JsonNode record) {
        JsonNode messages = record.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return Result.error("missing_messages", "\"messages\" must be a non-empty list");
        }
        List<ChatMessage> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                return Result.error("invalid_message", "messages[" + i + "] must be an object");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !CHAT_ROLES.contains(role.asText())) {
                return Result.error("unrecognized_role", "messages[" + i + "].role must be system, user or assistant");
            }
            JsonNode content = m.get("content");
            if (content == null || !content.isTextual()) {
                return Result.error("missing_content", "messages[" + i + "].content must be a string");
            }
            out.add(new ChatMessage(role.asText(), content.asText()));
        }
        return withAssistant(out);
    }

    private static Result sharegpt(JsonNode record) {
        JsonNode turns = record.get("conversations");
        if (turns == null || !turns.isArray() || turns.isEmpty()) {
            return Result.error("missing_messages", "\"conversations\" must be a non-empty list");
        }
        List<ChatMessage> out = new ArrayList<>(turns.size() + 1);
        JsonNode system = record.get("system");
        if (system != null && system.isTextual() && !system.asText().isBlank()) {
            out.add(ChatMessage.system(system.asText()));
        }
        for (int i = 0; i < turns.size(); i++) {
            JsonNode t = turns.get(i);
            if (!t.isObject()) {
                return Result.error("invalid_message", "conversations[" + i + "] must be an object");
            }
            JsonNode from = t.get("from");
            String role = from != null && from.isTextual()
                    ? SHAREGPT_ROLES.get(from.asText().toLowerCase(Locale.ROOT))
                    : null;
            if (role == null) {
                return Result.error("unrecognized_role", "conversations[" + i + "].from must be human, gpt or system");
            }
            JsonNode value = t.get("value");
            if (value == null || !value.isTextual()) {
                return Result.error("missing_content", "conversations[" + i + "].value must be a string");
            }
            out.add(new ChatMessage(role, value.asText()));
        }
        return withAssistant(out);
    }

    private static Result alpaca(JsonNode record) {
        String instruction = text(record, "instruction");
        if (instruction == null || instruction.isBlank()) {
            return Result.error("missing_instruction", "\"instruction\" must be a non-empty string");
        }
        String output = text(record, "output");
        if (output == null) {
            return Result.error("missing_assistant_message", "\"output\" must be a string");
        }
        JsonNode input = record.get("input");
        if (input != null && !input.isNull() && !input.isTextual()) {
            return Result.error("invalid_field_type", "\"input\" must be a string");
        }
        List<ChatMessage> out = new ArrayList<>();
        String system = text(record, "system");
        if (system != null && !system.isBlank()) {
            out.add(ChatMessage.system(system));
        }
        JsonNode history = record.get("history");
        if (history != null && !history.isNull()) {
            if (!history.isArray()) {
                return Result.error("invalid_history", "\"history\" must be a list of [instruction, response] pairs");
            }
            for (int i = 0; i < history.size(); i++) {
                JsonNode pair = history.get(i);
                if (!pair.isArray()
                        || pair.size() != 2
                        || !pair.get(0).isTextual()
                        || !pair.get(1).isTextual()) {
                    return Result.error(
                            "invalid_history", "history[" + i + "] must be [instruction, response] strings");
                }
                out.add(ChatMessage.user(pair.get(0).asText()));
                out.add(ChatMessage.assistant(pair.get(1).asText()));
            }
        }
        String prompt = input == null || input.isNull() || input.asText().isBlank()
                ? instruction
                : instruction + "\n\n" + input.asText();
        out.add(ChatMessage.user(prompt));
        out.add(ChatMessage.assistant(output));
        return withAssistant(out);
    }

    private static Result promptCompletion(JsonNode record) {
        String prompt = text(record, "prompt");
        if (prompt == null || prompt.isBlank()) {
            return Result.error("missing_prompt", "\"prompt\" must be a non-empty string");
        }
        String completion = text(record, "completion");
        if (completion == null) {
            return Result.error("missing_assistant_message", "\"completion\" must be a string");
        }
        return withAssistant(List.of(ChatMessage.user(prompt), ChatMessage.assistant(completion)));
    }

    /** A sample teaches nothing without an assistant answer to learn. */
    private static Result withAssistant(List<ChatMessage> messages) {
        boolean hasAnswer = messages.stream()
                .anyMatch(m -> m.role().equals("assistant") && !m.content().isBlank());
        return hasAnswer
                ? Result.ok(messages)
                : Result.error("missing_assistant_message", "record has no non-empty assistant message");
    }

    private static String text(JsonNode record, String field) {
        JsonNode value = record.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
}
