package io.sage.studio.cli;

import java.nio.file.Path;
import java.util.Map;

import picocli.CommandLine.Model.CommandSpec;

/**
 * What a {@code sage} run reads from outside: its environment variables and the repository it runs from. The
 * commands take it from here instead of {@link System#getenv()}, so a test hands each run its own studio home and
 * ports and never reaches the user's studio.
 *
 * @param variables the environment ({@code STUDIO_HOME}, {@code STUDIO_*_PORT}, {@code SAGE_STUDIO_URL}, …)
 * @param repo      the repository the CLI runs from ({@code -Dsage.repo}, set by {@code ./sage})
 */
public record CliEnvironment(Map<String, String> variables, Path repo) {

    public CliEnvironment {
        variables = Map.copyOf(variables);
        repo = repo.toAbsolutePath().normalize();
    }

    /** This process's environment and {@code -Dsage.repo} (default: the working directory). */
    public static CliEnvironment system() {
        return new CliEnvironment(System.getenv(), Path.of(System.getProperty("sage.repo", ".")));
    }

    /** The environment of the {@code sage} command line that {@code spec} belongs to. */
    public static CliEnvironment of(CommandSpec spec) {
        return ((SageCli) spec.root().userObject()).environment();
    }

    /** One variable, or {@code null}. */
    public String get(String name) {
        return variables.get(name);
    }
}
