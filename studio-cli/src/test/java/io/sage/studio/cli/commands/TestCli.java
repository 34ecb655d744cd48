package io.sage.studio.cli.commands;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.sage.studio.cli.CliEnvironment;
import io.sage.studio.cli.SageCli;
import picocli.CommandLine;

/**
 * Runs {@code sage} as a user would against a stub studio at {@code --url}, with a studio home and ports of its own
 * (closed ports: a command that reached for the user's studio would fail, not touch it). Shared by the command tests
 * that stand a stub HTTP server in for the finetune API.
 */
final class TestCli {

    private TestCli() {}

    /** Runs {@code args} plus {@code --url http://127.0.0.1:<port>}; picocli's own errors go to {@code err}. */
    static int run(Path tmp, StringWriter err, int port, String... args) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("STUDIO_HOME", tmp.resolve("home").toString());
        for (String variable : List.of("STUDIO_GATEWAY_PORT", "STUDIO_FINETUNE_PORT", "STUDIO_CHAT_PORT")) {
            try (ServerSocket socket = new ServerSocket(0)) {
                env.put(variable, Integer.toString(socket.getLocalPort()));
            }
        }
        CommandLine cli = SageCli.commandLine(new CliEnvironment(env, tmp));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--url";
        all[args.length + 1] = "http://127.0.0.1:" + port;
        return cli.execute(all);
    }
}
