package io.sage.studio.cli.commands;

import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.cli.api.GpuInfo;
import io.sage.studio.cli.client.StudioClient;
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
        JsonNode json = options.client().get("/api/system/gpu-info" + (node == null ? "" : "?node=" + node));
        if (options.json()) {
            Output.json(System.out, json);
            return 0;
        }
        GpuInfo info = StudioClient.as(json, GpuInfo.class);
        if (!info.available()) {
            System.out.println("No GPU detected" + (info.reason() != null ? ": " + info.reason() : "."));
            return 0;
        }
        System.out.printf("%-16s %-4s %-28s %10s %10s %6s%n", "NODE", "GPU", "NAME", "FREE GiB", "TOTAL GiB", "UTIL%");
        for (GpuInfo.Device d : info.devices()) {
            System.out.printf(
                    "%-16s %-4s %-28s %10s %10s %6s%n",
                    Output.truncate(Output.text(d.node()), 16),
                    Output.text(d.indexOnNode()),
                    Output.truncate(Output.text(d.name()), 28),
                    gib(d.freeGib()),
                    gib(d.totalGib()),
                    Output.text(d.utilizationGpu()));
        }
        if (info.recommendation() != null) {
            System.out.println();
            System.out.println(info.recommendation());
        }
        return 0;
    }

    private static String gib(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.1f", value);
    }
}
