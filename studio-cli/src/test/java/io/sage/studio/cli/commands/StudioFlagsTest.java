package io.sage.studio.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** {@code sage studio start|restart} flags as the original studio spelled them, and the help that explains them. */
class StudioFlagsTest {

    private static StudioCommand.StartFlags parse(String... args) {
        StudioCommand.Start start = new StudioCommand.Start();
        new CommandLine(start).parseArgs(args);
        return start.flags;
    }

    @Test
    void llmIsTheDefaultAndNoLlmTurnsTheLocalModelServerOff() {
        assertThat(parse().llm).isTrue();
        assertThat(parse("--llm").llm).isTrue();
        assertThat(parse("--no-llm").llm).isFalse();
        assertThat(parse().options().serviceEnv()).doesNotContainKey("STUDIO_CHAT_RUNTIME");
        assertThat(parse("--llm").options().serviceEnv()).doesNotContainKey("SAGE_FORCE_CLOUD_API");
        assertThat(parse("--no-llm").options().serviceEnv())
                .containsEntry("STUDIO_CHAT_RUNTIME", "none")
                .containsEntry("SAGE_FORCE_CLOUD_API", "true");
    }

    @Test
    void restartTakesTheSamePair() {
        StudioCommand.Restart restart = new StudioCommand.Restart();
        new CommandLine(restart).parseArgs("--no-llm");
        assertThat(restart.flags.llm).isFalse();
        restart = new StudioCommand.Restart();
        new CommandLine(restart).parseArgs("--llm");
        assertThat(restart.flags.llm).isTrue();
    }

    @Test
    void startHelpShowsTheNegatablePair() {
        String help = help(new StudioCommand.Start());
        assertThat(help).contains("--[no-]llm").contains("SAGE_STUDIO_LLM_PORT").contains("cloud API");
    }

    @Test
    void logsHelpMapsTheOriginalStudiosLogFiles() {
        String help = help(new StudioCommand.Logs());
        assertThat(help)
                .contains("~/.sage/studio/chat/gateway.log")
                .contains("~/.sage/studio/finetune_api.log")
                .contains("studio/logs/<component>.log")
                .contains("finetune_api.log");
    }

    private static String help(Object command) {
        StringWriter out = new StringWriter();
        new CommandLine(command).usage(new PrintWriter(out, true));
        return out.toString();
    }
}
