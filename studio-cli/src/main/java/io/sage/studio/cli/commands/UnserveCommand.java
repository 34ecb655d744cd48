package io.sage.studio.cli.commands;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code sage unserve MODEL [--json]}: stops serving a model by name ({@code DELETE /api/chat/serving/{model}}); the
 * server refuses the default and a rollout's arm (409, exit 1) so that no client of {@code sage-chat} loses its model.
 */
@Command(
        name = "unserve",
        mixinStandardHelpOptions = true,
        description = "Stop serving a model by name (not the default, not a running rollout's arm).")
public class UnserveCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "The served name (or the task id / model id it was served as).")
    String model;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        JsonNode answer = options.client().delete("/api/chat/serving/" + StudioClient.encode(model));
        if (options.json()) {
            Output.json(System.out, answer);
            return 0;
        }
        System.out.println("Unloaded " + answer.path("model").asText(model)
                + (answer.path("engine_stopped").asBoolean(false) ? "; its engine stopped" : ""));
        return 0;
    }
}
