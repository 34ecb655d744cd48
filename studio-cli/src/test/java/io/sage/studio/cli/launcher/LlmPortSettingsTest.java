package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.testkit.FreePorts;

/**
 * The original studio's stable local model URL ({@code SAGE_STUDIO_LLM_PORT}, default 8001): the gateway is told to
 * listen there, the model servers' ports leave it out, and a taken port stops the start naming the variable.
 */
class LlmPortSettingsTest {

    @TempDir
    Path tmp;

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("STUDIO_HOME", tmp.resolve("home").toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void byDefaultTheLlmPortIs8001AndModelServersTakeTenPortsFrom8002() {
        LauncherSettings settings = LauncherSettings.from(env(), tmp);
        assertThat(settings.llmPort()).hasValue(8001);
        assertThat(settings.enginePorts()).isEqualTo("8002-8011");
        assertThat(settings.openAiUrl()).contains("http://localhost:8001/v1");
    }

    @Test
    void anLlmPortInsideTheDefaultRangeIsLeftOutOfIt() {
        LauncherSettings settings = LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "8005"), tmp);
        assertThat(settings.enginePorts()).isEqualTo("8002-8004,8006-8012");
        assertThat(LauncherSettings.includes(settings.enginePorts(), 8005)).isFalse();
        assertThat(LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "8002"), tmp)
                        .enginePorts())
                .isEqualTo("8003-8012");
        assertThat(LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "8011"), tmp)
                        .enginePorts())
                .isEqualTo("8002-8010,8012");
    }

    @Test
    void ownEnginePortsThatIncludeTheLlmPortAreRefusedNamingBothVariables() {
        assertThatThrownBy(() -> LauncherSettings.from(env("STUDIO_CHAT_LOCAL_PORTS", "8001-8010"), tmp))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("STUDIO_CHAT_LOCAL_PORTS")
                .hasMessageContaining("SAGE_STUDIO_LLM_PORT");
        assertThat(LauncherSettings.from(
                                env("STUDIO_CHAT_LOCAL_PORTS", "8001-8010", "SAGE_STUDIO_LLM_PORT", "9001"), tmp)
                        .enginePorts())
                .isEqualTo("8001-8010");
    }

    @Test
    void offMeansNoLlmPortAndABadValueIsRefused() {
        LauncherSettings off = LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "off"), tmp);
        assertThat(off.llmPort()).isEmpty();
        assertThat(off.openAiUrl()).isEmpty();
        assertThat(off.enginePorts()).isEqualTo("8002-8011");
        assertThatThrownBy(() -> LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "eighty"), tmp))
                .isInstanceOf(LauncherException.class)
                .hasMessageContaining("SAGE_STUDIO_LLM_PORT");
    }

    @Test
    void theServicesAreToldTheLlmPortAndTheEnginePorts() {
        LauncherSettings settings = LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "18001"), tmp);
        StudioLauncher launcher = new StudioLauncher(settings, new PrintStream(new ByteArrayOutputStream()));
        Map<String, String> gateway =
                launcher.serviceEnvironment(settings.gateway(), StudioLauncher.StartOptions.defaults());
        assertThat(gateway).containsEntry("STUDIO_GATEWAY_LLM_PORT", "18001");
        Map<String, String> chat = launcher.serviceEnvironment(settings.chat(), StudioLauncher.StartOptions.defaults());
        assertThat(chat)
                .containsEntry("STUDIO_CHAT_LOCAL_PORTS", "8002-8011")
                .containsEntry("STUDIO_CHAT_LOCAL_LLM_PORT", "18001");
        LauncherSettings off = LauncherSettings.from(env("SAGE_STUDIO_LLM_PORT", "off"), tmp);
        assertThat(new StudioLauncher(off, new PrintStream(new ByteArrayOutputStream()))
                        .serviceEnvironment(off.gateway(), StudioLauncher.StartOptions.defaults()))
                .doesNotContainKey("STUDIO_GATEWAY_LLM_PORT");
    }

    @Test
    void aTakenLlmPortStopsTheStartBeforeAnythingStartsNamingTheVariable() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Map<String, String> env = env("SAGE_STUDIO_LLM_PORT", Integer.toString(taken.getLocalPort()));
            // Every other port free and this test's own; packaged jars present (never built), so that the start gets
            // as far as its port checks.
            for (String module :
                    new String[] {"gateway-adapter", "finetune-service", "chat-switch-service", "gpu-probe-service"}) {
                Path jar = tmp.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
                Files.createDirectories(jar.getParent());
                Files.writeString(jar, "not a jar");
            }
            // One block of six, outside the ephemeral range (the Kafka controller takes the port after the broker's,
            // which a lone free port does not promise: a CI run lost this test to a taken controller port).
            int block = FreePorts.block(6);
            String[] variables = {
                "STUDIO_GATEWAY_PORT",
                "STUDIO_FINETUNE_PORT",
                "STUDIO_CHAT_PORT",
                "STUDIO_GPU_PORT",
                "STUDIO_KAFKA_PORT"
            };
            for (int i = 0; i < variables.length; i++) {
                env.put(variables[i], Integer.toString(block + i));
            }
            env.put("STUDIO_BUILD", "never");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StudioLauncher launcher = new StudioLauncher(
                    LauncherSettings.from(env, tmp), new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThatThrownBy(() -> launcher.start(StudioLauncher.StartOptions.defaults()))
                    .isInstanceOf(LauncherException.class)
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("SAGE_STUDIO_LLM_PORT");
            assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("Starting ");
        }
    }

    @Test
    void theOriginalStudiosLogNamesNameTheirComponents() {
        LauncherSettings settings = LauncherSettings.from(env(), tmp);
        assertThat(settings.component("gateway.log")).contains(settings.gateway());
        assertThat(settings.component("~/.sage/studio/chat/gateway.log")).contains(settings.gateway());
        assertThat(settings.component("finetune_api.log")).contains(settings.finetune());
        assertThat(settings.component("/root/.sage/studio/finetune_api.log")).contains(settings.finetune());
        assertThat(settings.component("finetune_api")).contains(settings.finetune());
        assertThat(settings.component("chat-switch-service.log")).contains(settings.chat());
        assertThat(settings.component("gpu")).contains(settings.gpu());
        assertThat(settings.component("nothing.log")).isEmpty();
    }
}
