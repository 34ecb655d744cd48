package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sage switch <task-id|model>}: point the chat backend at another model. */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = "Switch the chat backend to a fine-tuned task's model or to a model id/path.")
public class SwitchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "TASK_ID|MODEL", description = "A task id, a base model id or a model path in the studio home.")
    String target;

    @Option(names = "--strategy", description = "auto, lora-hot-load, blue-green or recreate (default: the server's).")
    String strategy;

    @Option(names = "--wait", description = "Wait until the switch has finished and report the outcome.")
    boolean await;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        String taskId = isTask(client, target) ? target : null;
        String model = taskId == null ? target : null;
        if (!await) {
            JsonNode op = client.post("/api/chat/switch", body(model, taskId, strategy));
            if (options.json()) {
                Output.json(System.out, op);
            } else {
                System.out.println("Switch " + op.path("id").asText() + " " + op.path("state").asText()
                        + " (strategy " + op.path("strategy").asText() + "); follow it with --wait or GET /api/chat/switch/"
                        + op.path("id").asText());
            }
            return 0;
        }
        return switchAndWait(client, model, taskId, strategy, System.out, options.json());
    }

    static boolean isTask(StudioClient client, String target) {
        if (target.contains("/")) {
            return false;
        }
        try {
            client.get("/api/finetune/tasks/" + StudioClient.encode(target));
            return true;
        } catch (StudioClientException e) {
            if (e.unreachable()) {
                throw e;
            }
            return false;
        }
    }

    static Map<String, Object> body(String model, String taskId, String strategy) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (model != null) {
            body.put("model", model);
        }
        if (taskId != null) {
            body.put("task_id", taskId);
        }
        if (strategy != null) {
            body.put("strategy", strategy);
        }
        return body;
    }

    /** Requests a switch and follows it to the end; 0 when the new model serves, 1 when it failed. */
    static int switchAndWait(StudioClient client, String model, String taskId, String strategy, PrintStream out, boolean json) {
        JsonNode op = client.post("/api/chat/switch", body(model, taskId, strategy));
        String id = op.path("id").asText();
        String last = "";
        if (!json) {
            out.println("Switching to " + (taskId != null ? taskId : model) + " (operation " + id + ", strategy "
                    + op.path("strategy").asText() + ") …");
        }
        while (true) {
            String state = op.path("state").asText();
            if (!json && !state.equals(last)) {
                out.println("  " + state);
                last = state;
            }
            if (state.equals("completed") || state.equals("failed")) {
                break;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            op = client.get("/api/chat/switch/" + StudioClient.encode(id));
        }
        if (json) {
            Output.json(out, op);
        }
        if (op.path("state").asText().equals("failed")) {
            if (!json) {
                out.println("Switch failed: " + op.path("error").asText("unknown error")
                        + (op.path("rolled_back").asBoolean(false) ? " — the previous model keeps serving." : ""));
            }
            return 1;
        }
        if (!json) {
            JsonNode current = client.get("/api/finetune/current-model");
            out.println("Chat now served by " + current.path("current_model").asText() + " ("
                    + current.path("kind").asText() + ")" + downtime(op));
        }
        return 0;
    }

    private static String downtime(JsonNode op) {
        JsonNode ms = op.path("timings").path("downtime_ms");
        return ms.isNumber() && ms.asLong() > 0 ? "; downtime " + ms.asLong() + " ms" : "; no downtime";
    }
}
