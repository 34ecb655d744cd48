package io.sage.studio.chat.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.sage.studio.chat.support.Engines;

class CommandTemplateTest {

    @Test
    void splitsLikeAShellButNeverRunsOne() {
        CommandTemplate template = CommandTemplate.parse(
                "vllm serve {model} --port {port} --served-model-name '{name}' --x \"a b\" c\\ d");
        assertThat(template.render(Map.of("model", "/models/my model; rm -rf /", "port", "8001", "name", "$(id)")))
                .containsExactly(
                        "vllm",
                        "serve",
                        "/models/my model; rm -rf /",
                        "--port",
                        "8001",
                        "--served-model-name",
                        "$(id)",
                        "--x",
                        "a b",
                        "c d");
    }

    @Test
    void aTemplateWithoutModelOrPortOrWithAnOpenQuoteIsRefused() {
        assertThatThrownBy(() -> CommandTemplate.parse("vllm serve --port {port}"))
                .hasMessageContaining("{model}");
        assertThatThrownBy(() -> CommandTemplate.parse("vllm serve {model}")).hasMessageContaining("{port}");
        assertThatThrownBy(() -> CommandTemplate.parse("vllm serve '{model} {port}"))
                .hasMessageContaining("unbalanced quote");
        assertThatThrownBy(() -> CommandTemplate.parse("   ")).hasMessageContaining("empty");
    }

    @Test
    void portsTakenByAnEngineOrAnotherListenerAreSkipped() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int free = Engines.freePort();
            PortPool pool = PortPool.parse("127.0.0.1", busy.getLocalPort() + ", " + free);
            assertThat(pool.next(Set.of())).contains(free);
            assertThat(pool.next(Set.of(free))).isEmpty();
        }
        assertThat(PortPool.parse("127.0.0.1", "8001-8003").next(Set.of(8001, 8002, 8003)))
                .isEmpty();
        assertThatThrownBy(() -> PortPool.parse("127.0.0.1", "9-3")).hasMessageContaining("invalid port range");
        assertThatThrownBy(() -> PortPool.parse("127.0.0.1", "abc")).hasMessageContaining("invalid port");
    }
}
