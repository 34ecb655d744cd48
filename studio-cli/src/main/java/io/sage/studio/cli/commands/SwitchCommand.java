package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.CurrentModel;
import io.sage.studio.cli.api.SwitchOperation;
import io.sage.studio.cli.client.StudioClient;
import io.sage.studio.cli.client.StudioClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sage switch <task-id|model>}: point the chat backend at another model. */
@Command(
        name = "switch",
        mixinStandardHelpOptions = true,
        description = "Switch the chat backend to a fine-tuned task's model or to a model id/path.")
public class SwitchCommand implements Callable<Integer> {

    @Parameters(
            paramLabel = "TASK_ID|MODEL",
            description = "A task id, a base model id or a model path in the studio home.")
    String target;

    @Option(names = "--strategy", description = "auto, lora-hot-load, blue-green or recreate (default: the server's).")
    String strategy;

    @Option(names = "--wait", description = "Wait until the switch has finished and report the outcome.")
    boolean await;

    @Mixin
    EvaluationGateOptions gate;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        StudioClient client = options.client();
        String taskId = isTask(client, target) ? target : null;
        String model = taskId == null ? target : null;
        if (!await) {
            Map<String, Object> body = body(model, taskId, strategy);
            gate.addTo(body);
            JsonNode json = client.post("/api/chat/switch", body);
            if (options.json()) {
                Output.json(System.out, json);
            } else {
                SwitchOperation op = StudioClient.as(json, SwitchOperation.class);
                System.out.println("Switch " + Output.orEmpty(op.id()) + " " + Output.orEmpty(op.state())
                        + " (strategy " + Output.orEmpty(op.strategy())
                        + "); follow it with --wait or GET /api/chat/switch/"
                        + Output.orEmpty(op.id()));
            }
            return 0;
        }
        return switchAndWait(client, model, taskId, strategy, gate, System.out, options.json());
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
    static int switchAndWait(
            StudioClient client,
            String model,
            String taskId,
            String strategy,
            EvaluationGateOptions gate,
            PrintStream out,
            boolean json) {
        Map<String, Object> body = body(model, taskId, strategy);
        if (gate != null) {
            gate.addTo(body);
        }
        JsonNode answer = client.post("/api/chat/switch", body);
        SwitchOperation op = StudioClient.as(answer, SwitchOperation.class);
        String id = Output.orEmpty(op.id());
        String last = "";
        if (!json) {
            out.println("Switching to " + (taskId != null ? taskId : model) + " (operation " + id + ", strategy "
                    + Output.orEmpty(op.strategy()) + ") …");
        }
        while (true) {
            String state = Output.orEmpty(op.state());
            if (!json && !state.equals(last)) {
                out.println("  " + state);
                last = state;
            }
            if (op.finished()) {
                break;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            answer = client.get("/api/chat/switch/" + StudioClient.encode(id));
            op = StudioClient.as(answer, SwitchOperation.class);
        }
        if (json) {
            Output.json(out, answer);
        }
        if ("failed".equals(op.state())) {
            if (!json) {
                out.println("Switch failed: " + (op.error() != null ? op.error() : "unknown error")
                        + (op.rolledBack() ? " — the previous model keeps serving." : ""));
            }
            return 1;
        }
        if (!json) {
            CurrentModel current = client.get("/api/finetune/current-model", CurrentModel.class);
            String shown = current.shownName();
            String path =
                    current.currentModel() != null && !current.currentModel().equals(shown)
                            ? ", " + current.currentModel()
                            : "";
            out.println("Chat now served by " + Output.orEmpty(shown) + " (" + Output.orEmpty(current.kind()) + path
                    + ")" + downtime(op));
        }
        return 0;
    }

    private static String downtime(SwitchOperation op) {
        Long ms = op.timings() == null ? null : op.timings().downtimeMs();
        return ms != null && ms > 0 ? "; downtime " + ms + " ms" : "; no downtime";
    }
}
