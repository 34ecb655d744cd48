package io.sage.studio.cli.commands;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sage gpu}: the GPUs the studio sees. */
@Command(name = "gpu", mixinStandardHelpOptions = true, description = "GPUs of every node, with free memory.")
public class GpuCommand implements Callable<Integer> {

    @Option(names = "--node", description = "Only this node.")
    String node;

    @Mixin
    ClientOptions options;

    @Override
    public Integer call() {
        JsonNode info = options.client().get("/api/system/gpu-info" + (node == null ? "" : "?node=" + node));
        if (options.json()) {
            Output.json(System.out, info);
            return 0;
        }
        if (!info.path("available").asBoolean(false)) {
            System.out.println("No GPU detected" + (info.hasNonNull("reason") ? ": " + info.path("reason").asText() : "."));
            return 0;
        }
        System.out.printf("%-16s %-4s %-28s %10s %10s %6s%n", "NODE", "GPU", "NAME", "FREE GiB", "TOTAL GiB", "UTIL%");
        for (JsonNode d : info.path("devices")) {
            System.out.printf("%-16s %-4s %-28s %10.1f %10.1f %6s%n", Output.truncate(Output.text(d, "node"), 16),
                    Output.text(d, "index"), Output.truncate(Output.text(d, "name"), 28),
                    d.path("memory_free_bytes").asDouble() / (1L << 30), d.path("memory_total_bytes").asDouble() / (1L << 30),
                    Output.text(d, "utilization_gpu"));
        }
        if (info.hasNonNull("recommendation")) {
            System.out.println();
            System.out.println(info.path("recommendation").asText());
        }
        return 0;
    }
}
