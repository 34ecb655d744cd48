package io.sage.studio.cli;

import io.sage.studio.cli.commands.AuditCommand;
import io.sage.studio.cli.commands.ChatCommand;
import io.sage.studio.cli.commands.CompletionCommand;
import io.sage.studio.cli.commands.EvalCommand;
import io.sage.studio.cli.commands.FinetuneCommand;
import io.sage.studio.cli.commands.GpuCommand;
import io.sage.studio.cli.commands.ModelsCommand;
import io.sage.studio.cli.commands.RolloutCommand;
import io.sage.studio.cli.commands.ServeCommand;
import io.sage.studio.cli.commands.StudioCommand;
import io.sage.studio.cli.commands.SwitchCommand;
import io.sage.studio.cli.commands.UnserveCommand;
import io.sage.studio.cli.commands.WebhooksCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sage}: the SAGE Studio command line. */
@Command(
        name = "sage",
        mixinStandardHelpOptions = true,
        version = "sage 0.1.0",
        description = "SAGE Studio: fine-tune an LLM on your data and hot-switch your chat endpoint to it.",
        subcommands = {
            StudioCommand.class,
            FinetuneCommand.class,
            ModelsCommand.class,
            EvalCommand.class,
            SwitchCommand.class,
            ServeCommand.class,
            UnserveCommand.class,
            RolloutCommand.class,
            GpuCommand.class,
            WebhooksCommand.class,
            AuditCommand.class,
            ChatCommand.class,
            CompletionCommand.class
        },
        footer = {
            "",
            "Exit codes: 0 ok, 1 failed or invalid input, 2 studio unreachable, 3 task cancelled, 4 task paused."
        })
public final class SageCli implements Runnable {

    /** Exit code: the studio (or Kafka) cannot be reached. */
    public static final int EXIT_UNREACHABLE = 2;
    /** Exit code: a waited-for task ended cancelled. */
    public static final int EXIT_CANCELLED = 3;
    /** Exit code: a waited-for task ended paused ({@code --wait} of start, retry, resume, clone). */
    public static final int EXIT_PAUSED = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final CliEnvironment environment;

    public SageCli(CliEnvironment environment) {
        this.environment = environment;
    }

    /** The environment variables and repository this command line reads. */
    public CliEnvironment environment() {
        return environment;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The command line of this process: its environment and {@code -Dsage.repo}. */
    public static CommandLine commandLine() {
        return commandLine(CliEnvironment.system());
    }

    /** A command line that reads {@code environment} only (tests give each run its own home and ports). */
    public static CommandLine commandLine(CliEnvironment environment) {
        return new CommandLine(new SageCli(environment))
                .setExecutionExceptionHandler(new ErrorHandler())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
