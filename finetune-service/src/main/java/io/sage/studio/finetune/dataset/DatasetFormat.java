package io.sage.studio.finetune.dataset;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/** The record shapes a dataset may use; all are normalised to the chat JSONL of the trainer protocol. */
public enum DatasetFormat {
    /** {@code {"instruction", "input"?, "output", "system"?, "history"?}}. */
    ALPACA,
    /** {@code {"conversations": [{"from": "human|gpt|system", "value"}]}}. */
    SHAREGPT,
    /** {@code {"messages": [{"role": "system|user|assistant", "content"}]}}. */
    OPENAI,
    /** {@code {"prompt", "completion"}}. */
    PROMPT_COMPLETION;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format a record's keys suggest, or {@code null} when it looks like none of them. */
    static DatasetFormat detect(JsonNode record) {
        if (record.has("messages")) {
            return OPENAI;
        }
        if (record.has("conversations")) {
            return SHAREGPT;
        }
        if (record.has("instruction")) {
            return ALPACA;
        }
        if (record.has("prompt") || record.has("completion")) {
            return PROMPT_COMPLETION;
        }
        return null;
    }
}
