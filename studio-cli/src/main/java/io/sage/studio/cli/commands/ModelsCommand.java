package io.sage.studio.cli.commands;

import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.ModelView;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sage models list}. */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "Base and fine-tuned models.",
        subcommands = ModelsCommand.ListModels.class)
public class ModelsCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List base and fine-tuned models.")
    static class ListModels implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() {
            JsonNode json = options.client().get("/api/finetune/models");
            if (options.json()) {
                Output.json(System.out, json);
                return 0;
            }
            List<ModelView> models = StudioClient.as(json, new TypeReference<List<ModelView>>() {});
            System.out.printf("%-10s %-44s %-30s %-8s %s%n", "TYPE", "ID", "BASE MODEL", "ARTIFACT", "PATH");
            for (ModelView m : models) {
                System.out.printf(
                        "%-10s %-44s %-30s %-8s %s%n",
                        Output.text(m.type()),
                        Output.truncate(Output.text(m.id()), 44),
                        Output.truncate(Output.text(m.baseModel()), 30),
                        Output.text(m.artifact()),
                        Output.text(m.path()));
            }
            return 0;
        }
    }
}
