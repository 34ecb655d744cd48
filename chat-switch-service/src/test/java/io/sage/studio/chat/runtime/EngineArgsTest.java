package io.sage.studio.chat.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.type.TypeReference;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.support.Configs;
import io.sage.studio.events.StudioJson;

/** The LoRA arguments both runtimes give vLLM (chat-switch DESIGN.md "vLLM's rules"). */
class EngineArgsTest {

    private static final ChatConfig.Engine DEFAULTS = Configs.chat(Map.of()).engine();

    @Test
    void theRankIsRoundedUpToAValueVllmAcceptsAndNothingServesAbove512() {
        Map<Integer, Integer> expected =
                Map.of(1, 8, 8, 8, 9, 16, 16, 16, 64, 64, 65, 128, 96, 128, 257, 320, 321, 512, 512, 512);
        expected.forEach((rank, allowed) ->
                assertThat(EngineArgs.maxLoraRankFor(rank)).as("rank " + rank).isEqualTo(OptionalInt.of(allowed)));
        assertThat(EngineArgs.maxLoraRankFor(513)).isEmpty();
        assertThat(EngineArgs.maxLoraRankFor(1024)).isEmpty();
        assertThat(EngineArgs.LORA_RANKS).containsExactly(8, 16, 32, 64, 128, 256, 320, 512);
    }

    @Test
    void aRank96EngineGetsMaxLoraRank128AndTheConfiguredAdapterSlots() {
        List<String> args = EngineArgs.lora(new BackendSpec("b", "/m/base", "base", true, 96, Map.of()), DEFAULTS);
        assertThat(args)
                .containsExactly("--enable-lora", "--max-lora-rank", "128", "--max-loras", "4", "--max-cpu-loras", "8");

        ChatConfig.Engine configured = Configs.chat(
                        Map.of("studio.chat.engine.max-loras", "2", "studio.chat.engine.max-cpu-loras", "6"))
                .engine();
        assertThat(EngineArgs.lora(new BackendSpec("b", "/m/base", "base", true, 64, Map.of()), configured))
                .containsSubsequence("--max-lora-rank", "64")
                .containsSubsequence("--max-loras", "2")
                .containsSubsequence("--max-cpu-loras", "6");
    }

    @Test
    void loraModulesUseVllmsJsonFormSoAPathWithEqualsAndCommaStaysWhole() throws Exception {
        String odd = "/home/u/.sage/studio_finetune/t=1,x/lora";
        List<String> args = EngineArgs.lora(
                new BackendSpec("b", "/m/base", "base", true, 16, Map.of("ft-b", "/a/b", "ft-a", odd)), DEFAULTS);

        int at = args.indexOf("--lora-modules");
        assertThat(args).hasSize(at + 3);
        TypeReference<Map<String, String>> map = new TypeReference<>() {};
        assertThat(StudioJson.mapper().readValue(args.get(at + 1), map))
                .containsExactly(
                        Map.entry("name", "ft-a"), Map.entry("path", odd), Map.entry("base_model_name", "base"));
        assertThat(StudioJson.mapper().readValue(args.get(at + 2), map))
                .containsEntry("name", "ft-b")
                .containsEntry("path", "/a/b");
    }

    @Test
    void anEngineWithoutLoraGetsNoLoraFlagsAtAll() {
        assertThat(EngineArgs.lora(new BackendSpec("b", "/m/bert", "bert", false, 64, Map.of()), DEFAULTS))
                .isEmpty();
    }
}
