package io.sage.studio.cli.api;

import java.util.List;

/** One OpenAI {@code chat.completion.chunk} of a streamed answer; the CLI reads the model and the first delta. */
public record ChatChunk(String model, List<Choice> choices) {

    /** A choice of a chunk. */
    public record Choice(Delta delta) {}

    /** The new text of a chunk. */
    public record Delta(String content) {}

    /** The first choice's new text, or {@code null}. */
    public String content() {
        return choices == null
                        || choices.isEmpty()
                        || choices.get(0) == null
                        || choices.get(0).delta() == null
                ? null
                : choices.get(0).delta().content();
    }
}
