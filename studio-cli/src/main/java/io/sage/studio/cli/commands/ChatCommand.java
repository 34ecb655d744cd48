package io.sage.studio.cli.commands;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.sage.studio.cli.api.ChatChunk;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sage chat "prompt"}: one streamed answer from the active model, through the gateway. */
@Command(name = "chat", mixinStandardHelpOptions = true, description = "Ask the active chat model once (streamed).")
public class ChatCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PROMPT", description = "What to ask.")
    String prompt;

    @Option(
            names = "--model",
            defaultValue = "sage-chat",
            description = "Model name or alias (default ${DEFAULT-VALUE}: the active model).")
    String model;

    @Option(names = "--system", description = "A system message.")
    String system;

    @Option(
            names = "--max-tokens",
            defaultValue = "512",
            description = "Answer length limit (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        List<Map<String, String>> messages = new ArrayList<>();
        if (system != null) {
            messages.add(Map.of("role", "system", "content", system));
        }
        messages.add(Map.of("role", "user", "content", prompt));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("messages", messages);
        body.put("max_tokens", maxTokens);
        StudioClient client = options.client();
        if (options.json()) {
            body.put("stream", false);
            Output.json(System.out, client.post("/v1/chat/completions", body));
            return 0;
        }
        body.put("stream", true);
        String[] answeredBy = {null};
        String header = client.streamPost("/v1/chat/completions", body, event -> {
            if (event.data().equals("[DONE]")) {
                return false;
            }
            try {
                ChatChunk chunk = StudioClient.parse(event.data(), ChatChunk.class);
                if (chunk.model() != null) {
                    answeredBy[0] = chunk.model();
                }
                String delta = chunk.content();
                if (delta != null) {
                    System.out.print(delta);
                    System.out.flush();
                }
            } catch (IOException e) {
                System.err.println("(unreadable chunk: " + event.data() + ")");
            }
            return true;
        });
        System.out.println();
        String by = header != null ? header : answeredBy[0];
        if (by != null) {
            System.err.println("— answered by " + by);
        }
        return 0;
    }
}
