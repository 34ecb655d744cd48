package io.sage.studio.cli;

import io.sage.studio.cli.client.StudioClientException;
import io.sage.studio.cli.launcher.LauncherException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** One clear line (or block) per failure instead of a stack trace, and the documented exit code. */
final class ErrorHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parseResult) {
        if (e instanceof StudioClientException client) {
            cmd.getErr().println("error: " + client.getMessage());
            client.details().forEach(d -> cmd.getErr().println("  " + d));
            return client.unreachable() ? SageCli.EXIT_UNREACHABLE : 1;
        }
        if (e instanceof LauncherException) {
            cmd.getErr().println("error: " + e.getMessage());
            return 1;
        }
        cmd.getErr().println("error: " + e);
        return 1;
    }
}
