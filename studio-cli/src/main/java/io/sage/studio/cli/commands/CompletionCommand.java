package io.sage.studio.cli.commands;

import java.util.concurrent.Callable;

import io.sage.studio.cli.SageCli;
import picocli.AutoComplete;
import picocli.CommandLine.Command;

/** {@code sage completion}: a bash/zsh completion script ({@code source <(./sage completion)}). */
@Command(
        name = "completion",
        mixinStandardHelpOptions = true,
        description = "Print a bash/zsh completion script: source <(./sage completion)")
public class CompletionCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.print(AutoComplete.bash("sage", SageCli.commandLine()));
        return 0;
    }
}
