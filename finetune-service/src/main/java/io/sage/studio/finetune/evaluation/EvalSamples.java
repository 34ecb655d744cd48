package io.sage.studio.finetune.evaluation;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.finetune.dataset.ChatMessage;

/**
 * The samples of an evaluation, read from a normalised chat JSONL file ({@code {"messages":[{role, content}…]}} per
 * line, as the dataset service writes it): the reference is each record's last assistant message, the prompt the
 * messages before it. Records without an assistant message after some other message, and lines that do not parse,
 * are skipped. The training sample (a task without held-out rows) is every 20th record (the 1st, 21st, …):
 * deterministic, and at least one record of any non-empty dataset.
 */
final class EvalSamples {

    /** One held-out record in this many. */
    static final int HELD_OUT_EVERY = 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One sample: the conversation up to the answer, and the answer expected. */
    record Item(List<ChatMessage> prompt, String reference) {

        /** The last user message (what the sample shows as its prompt). */
        String lastUser() {
            for (int i = prompt.size() - 1; i >= 0; i--) {
                if ("user".equals(prompt.get(i).role())) {
                    return prompt.get(i).content();
                }
            }
            return prompt.get(prompt.size() - 1).content();
        }
    }

    private EvalSamples() {}

    /**
     * Up to {@code max} samples of {@code file}, in file order.
     *
     * @param heldOut take only the held-out share (every {@value #HELD_OUT_EVERY}th record)
     */
    static List<Item> read(Path file, int max, boolean heldOut) throws IOException {
        List<Item> items = new ArrayList<>();
        long index = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (items.size() < max && (line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                long i = index++;
                if (heldOut && i % HELD_OUT_EVERY != 0) {
                    continue;
                }
                Item item = parse(line);
                if (item != null) {
                    items.add(item);
                }
            }
        }
        return items;
    }

    /** Whether a file to read samples from is there (a regular file, not a link). */
    static boolean exists(Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }

    static Item parse(String line) {
        JsonNode messages;
        try {
            messages = JSON.readTree(line).path("messages");
        } catch (IOException e) {
            return null;
        }
        if (!messages.isArray()) {
            return null;
        }
        List<ChatMessage> all = new ArrayList<>();
        for (JsonNode m : messages) {
            String role = m.path("role").asText("");
            JsonNode content = m.get("content");
            if (role.isEmpty() || content == null || !content.isTextual()) {
                return null;
            }
            all.add(new ChatMessage(role, content.asText()));
        }
        for (int i = all.size() - 1; i > 0; i--) {
            if ("assistant".equals(all.get(i).role())) {
                return new Item(List.copyOf(all.subList(0, i)), all.get(i).content());
            }
        }
        return null;
    }
}
