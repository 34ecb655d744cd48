package io.sage.studio.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {

    private static final Map<String, String> PARENT = Map.ofEntries(
            Map.entry("PATH", "/usr/bin"),
            Map.entry("HOME", "/home/me"),
            Map.entry("LC_ALL", "C.UTF-8"),
            Map.entry("HF_TOKEN", "hf_x"),
            Map.entry("HF_HOME", "/cache/hf"),
            Map.entry("HUGGING_FACE_HUB_TOKEN", "hf_y"),
            Map.entry("https_proxy", "http://proxy:3128"),
            Map.entry("CUDA_VISIBLE_DEVICES", "0"),
            Map.entry("NCCL_DEBUG", "INFO"),
            Map.entry("VLLM_USE_V1", "1"),
            Map.entry("STUDIO_CHAT_CLOUD_API_KEY", "sk-cloud"),
            Map.entry("STUDIO_EVENTS_SIGNING_KEY", "sign"),
            Map.entry("SAGE_STUDIO_TOKEN", "tok"),
            Map.entry("OPENAI_API_KEY", "sk-openai"),
            Map.entry("KAFKA_BOOTSTRAP_SERVERS", "k:9092"),
            Map.entry("AWS_SECRET_ACCESS_KEY", "aws"),
            Map.entry("GITHUB_TOKEN", "gh"),
            Map.entry("HF_HUB_SECRET_THING", "x"),
            Map.entry("VLLM_API_KEY", "inherited-key"),
            Map.entry("DATABASE_PASSWORD", "pw"),
            Map.entry("RANDOM_VARIABLE", "x"));

    @Test
    void passesTheBasicsHuggingFaceProxiesAndGpuSettings() {
        Map<String, String> env = ChildEnvironment.build(PARENT, Map.of());
        assertThat(env)
                .containsKeys(
                        "PATH",
                        "HOME",
                        "LC_ALL",
                        "HF_TOKEN",
                        "HF_HOME",
                        "HUGGING_FACE_HUB_TOKEN",
                        "https_proxy",
                        "CUDA_VISIBLE_DEVICES",
                        "NCCL_DEBUG",
                        "VLLM_USE_V1");
    }

    @Test
    void neverPassesTheStudiosSecretsOrAnythingNamedLikeASecret() {
        Map<String, String> env = ChildEnvironment.build(PARENT, Map.of());
        assertThat(env)
                .doesNotContainKeys(
                        "STUDIO_CHAT_CLOUD_API_KEY",
                        "STUDIO_EVENTS_SIGNING_KEY",
                        "SAGE_STUDIO_TOKEN",
                        "OPENAI_API_KEY",
                        "KAFKA_BOOTSTRAP_SERVERS",
                        "AWS_SECRET_ACCESS_KEY",
                        "GITHUB_TOKEN",
                        "HF_HUB_SECRET_THING",
                        "VLLM_API_KEY",
                        "DATABASE_PASSWORD",
                        "RANDOM_VARIABLE");
        assertThat(env.values()).doesNotContain("sk-cloud", "sign", "tok", "sk-openai", "aws", "gh", "pw");
    }

    @Test
    void whatTheCallerGivesAlwaysPassesAndWins() {
        Map<String, String> env = ChildEnvironment.build(
                PARENT, Map.of("VLLM_API_KEY", "engine-key", "CUDA_VISIBLE_DEVICES", "1", "SAGE_TASK_ID", "t1"));
        assertThat(env)
                .containsEntry("VLLM_API_KEY", "engine-key")
                .containsEntry("CUDA_VISIBLE_DEVICES", "1")
                .containsEntry("SAGE_TASK_ID", "t1");
    }

    @Test
    void applyReplacesTheInheritedEnvironment() {
        ProcessBuilder builder = new ProcessBuilder("true");
        builder.environment().put("STUDIO_CHAT_CLOUD_API_KEY", "sk-cloud");
        ChildEnvironment.apply(builder, Map.of("X_GIVEN", "1"));
        assertThat(builder.environment())
                .doesNotContainKey("STUDIO_CHAT_CLOUD_API_KEY")
                .containsEntry("X_GIVEN", "1");
    }

    @Test
    void namedPassesNamesOrPrefixesButNeverASecretLookingName() {
        Map<String, String> parent = Map.of(
                "STUDIO_CHAT_CLOUD_API_KEY",
                "k",
                "STUDIO_EVENTS_SIGNING_KEY",
                "s",
                "STUDIO_X",
                "1",
                "FAKE_TRAINER_STEPS",
                "2",
                "MY_VAR",
                "3",
                "MY_PASSWORD",
                "p",
                "OTHER",
                "4");
        assertThat(ChildEnvironment.named(parent, List.of("STUDIO_*", "FAKE_TRAINER_*", "MY_VAR", "MY_PASSWORD", "*")))
                .containsOnly(
                        Map.entry("STUDIO_X", "1"), Map.entry("FAKE_TRAINER_STEPS", "2"), Map.entry("MY_VAR", "3"));
    }
}
