package io.sage.studio.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.events.StudioJson;

/**
 * The studio runs the project's real trainer by default. On a machine without the ML stack (CI), a task fails
 * fast with {@code missing_dependency} naming what to install — through the protocol, not a bare traceback.
 */
class DefaultTrainerIT {

    @TempDir
    Path tmp;

    @Test
    void withoutTorchATaskFailsFastWithMissingDependency() throws Exception {
        assumeFalse(pythonHasTorch(), "torch is installed here: the real trainer would really train");
        try (Studio studio = new Studio(tmp.resolve("home"))) {
            studio.env.remove("STUDIO_FINETUNE_LOCAL_TRAINER_COMMAND");
            Studio.Run start = studio.sage("studio", "start");
            assertThat(start.exitCode()).as(start.output()).isZero();

            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                lines.add("{\"messages\":[{\"role\":\"user\",\"content\":\"q" + i
                        + "\"},{\"role\":\"assistant\",\"content\":\"a" + i + "\"}]}");
            }
            Path data = Files.write(tmp.resolve("chat.jsonl"), lines);
            long started = System.nanoTime();
            Studio.Run run = studio.sage(
                    "finetune",
                    "start",
                    "--model",
                    "Qwen/Qwen2.5-0.5B-Instruct",
                    "--data",
                    data.toString(),
                    "--wait",
                    "--json");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
            JsonNode task = StudioJson.mapper().readTree(run.stdout());
            assertThat(task.path("status").asText()).isEqualTo("failed");
            assertThat(task.path("error_code").asText()).isEqualTo("missing_dependency");
            assertThat(task.path("error_message").asText()).contains("torch").contains("pip install -r");
            assertThat(seconds).as("fails fast").isLessThan(60);
            Path taskDir = studio.home
                    .resolve("studio_finetune")
                    .resolve(task.path("task_id").asText());
            assertThat(Files.readString(taskDir.resolve("progress.jsonl"))).contains("missing_dependency");
            assertThat(Files.readString(taskDir.resolve("logs.txt"))).doesNotContain("Traceback");
        }
    }

    private static boolean pythonHasTorch() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "-c", "import torch")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }
}
