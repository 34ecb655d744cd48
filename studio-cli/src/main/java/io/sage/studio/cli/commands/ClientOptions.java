package io.sage.studio.cli.commands;

import io.sage.studio.cli.client.StudioClient;
import picocli.CommandLine.Option;

/** {@code --url}, {@code --token} and {@code --json}, shared by every command that talks to a studio. */
public class ClientOptions {

    @Option(names = "--url", description = "Studio URL (default: $SAGE_STUDIO_URL or http://localhost:8080).")
    String url;

    @Option(names = "--token", description = "Bearer token for an install with auth (default: $SAGE_STUDIO_TOKEN).")
    String token;

    @Option(names = "--json", description = "Print the raw JSON answer.")
    boolean json;

    public StudioClient client() {
        String base = url != null ? url : System.getenv().getOrDefault("SAGE_STUDIO_URL", defaultUrl());
        return new StudioClient(base, token != null ? token : System.getenv("SAGE_STUDIO_TOKEN"));
    }

    public boolean json() {
        return json;
    }

    private static String defaultUrl() {
        String port = System.getenv("STUDIO_GATEWAY_PORT");
        return "http://localhost:" + (port == null || port.isBlank() ? "8080" : port.trim());
    }
}
