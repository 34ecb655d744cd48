package io.sage.studio.cli.commands;

import io.sage.studio.cli.CliEnvironment;
import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --url}, {@code --token} and {@code --json}, shared by every command that talks to a studio. */
public class ClientOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--url", description = "Studio URL (default: $SAGE_STUDIO_URL or http://localhost:8080).")
    String url;

    @Option(names = "--token", description = "Bearer token for an install with auth (default: $SAGE_STUDIO_TOKEN).")
    String token;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    public StudioClient client() {
        CliEnvironment env = CliEnvironment.of(mixee);
        String configured = env.get("SAGE_STUDIO_URL");
        String base = url != null ? url : configured != null ? configured : defaultUrl(env);
        return new StudioClient(base, token != null ? token : env.get("SAGE_STUDIO_TOKEN"));
    }

    public boolean json() {
        return json;
    }

    private static String defaultUrl(CliEnvironment env) {
        String port = env.get("STUDIO_GATEWAY_PORT");
        return "http://localhost:" + (port == null || port.isBlank() ? "8080" : port.trim());
    }
}
