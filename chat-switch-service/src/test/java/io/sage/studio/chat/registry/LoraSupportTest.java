package io.sage.studio.chat.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.chat.support.Configs;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.BaseModelCatalog;

/** Which bases get {@code --enable-lora}: known LoRA-capable architectures only, never a guess. */
class LoraSupportTest {

    @TempDir
    Path home;

    private LoraSupport support(Map<String, String> config) {
        return new LoraSupport(Configs.chat(config), StudioHome.at(home), BaseModelCatalog.builtInCatalog());
    }

    private String model(String name, String config) throws Exception {
        Path dir = Files.createDirectories(home.resolve("models").resolve(name));
        Files.writeString(dir.resolve("config.json"), config);
        return dir.toString();
    }

    @Test
    void catalogueModelsAndLoraCapableFoldersAreSupported() throws Exception {
        LoraSupport support = support(Map.of());
        assertThat(support.whyNot("Qwen/Qwen2.5-0.5B-Instruct")).isEmpty();
        assertThat(support.whyNot("meta-llama/Llama-3.2-1B-Instruct")).isEmpty();
        assertThat(support.whyNot(model("qwen", "{\"architectures\": [\"Qwen2ForCausalLM\"]}")))
                .isEmpty();
        assertThat(support.whyNot(model("typed", "{\"model_type\": \"mistral\"}")))
                .isEmpty();
    }

    @Test
    void otherOrUnknownArchitecturesAreNot() throws Exception {
        LoraSupport support = support(Map.of());
        assertThat(support.whyNot(model("bert", "{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\"}")))
                .get()
                .asString()
                .contains("BertModel", "without LoRA support", "studio.chat.lora.architectures");
        assertThat(support.whyNot(model("bare", "{}"))).get().asString().contains("unknown");
        assertThat(support.whyNot("someone/not-in-the-catalogue"))
                .get()
                .asString()
                .contains("unknown");
        assertThat(support.whyNot("/elsewhere/model")).isPresent();
    }

    @Test
    void theListIsExtendedByConfiguration() throws Exception {
        String bert = model("bert", "{\"architectures\": [\"BertModel\"]}");
        assertThat(support(Map.of("studio.chat.lora.architectures", "Qwen2ForCausalLM,BertModel"))
                        .whyNot(bert))
                .isEmpty();
    }
}
