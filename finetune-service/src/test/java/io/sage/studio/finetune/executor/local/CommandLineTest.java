package io.sage.studio.finetune.executor.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void splitsWordsAndHonoursQuotesWithoutAnyShellExpansion() {
        assertThat(CommandLine.split("python3 -m sage_trainer")).containsExactly("python3", "-m", "sage_trainer");
        assertThat(CommandLine.split("  /opt/my trainer/bin  ")).containsExactly("/opt/my", "trainer/bin");
        assertThat(CommandLine.split("'/opt/my trainer/run' --x \"a \\\"b\\\" c\" d\\ e"))
                .containsExactly("/opt/my trainer/run", "--x", "a \"b\" c", "d e");
        assertThat(CommandLine.split("echo $(rm -rf /) ; `id` $HOME *"))
                .containsExactly("echo", "$(rm", "-rf", "/)", ";", "`id`", "$HOME", "*");
        assertThat(CommandLine.split("a'b'\"c\"")).containsExactly("abc");
        assertThat(CommandLine.split("x ''")).containsExactly("x", "");
    }

    @Test
    void rejectsUnterminatedQuotesAndEmptyCommands() {
        assertThatThrownBy(() -> CommandLine.split("python3 'oops")).hasMessageContaining("single quote");
        assertThatThrownBy(() -> CommandLine.split("python3 \"oops")).hasMessageContaining("double quote");
        assertThatThrownBy(() -> CommandLine.split("   ")).hasMessageContaining("empty");
    }
}
