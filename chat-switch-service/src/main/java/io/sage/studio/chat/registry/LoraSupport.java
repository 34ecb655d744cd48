package io.sage.studio.chat.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.common.models.ModelFolder;

/**
 * Whether vLLM serves LoRA adapters on a base model: its architecture must be one of
 * {@code studio.chat.lora.architectures} (vLLM exits at start when {@code --enable-lora} meets a model class without
 * LoRA support). The architecture comes from the model folder's {@code config.json} ({@code architectures}, else
 * {@code model_type}) or, for a catalogue id, from the catalogue's {@code family}; a base that says neither is
 * treated as not LoRA-capable (started without {@code --enable-lora}), never guessed.
 */
@ApplicationScoped
public class LoraSupport {

    private final Set<String> supported;
    private final StudioHome home;
    private final BaseModelCatalog catalog;

    public LoraSupport(ChatConfig config, StudioHome home, BaseModelCatalog catalog) {
        this.supported = config.lora().architectures().stream()
                .map(String::strip)
                .filter(a -> !a.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
        this.home = home;
        this.catalog = catalog;
    }

    /** Empty when an engine of {@code enginePath} may be started with {@code --enable-lora}, else why not. */
    public Optional<String> whyNot(String enginePath) {
        List<String> names = architectureOf(enginePath);
        if (names.isEmpty()) {
            return Optional.of("the architecture of " + enginePath
                    + " is unknown (no config.json architectures or model_type, not in the catalogue), so its engine"
                    + " runs without --enable-lora");
        }
        if (names.stream().anyMatch(supported::contains)) {
            return Optional.empty();
        }
        return Optional.of(enginePath + " is a " + String.join("/", names)
                + ", which vLLM serves without LoRA support (studio.chat.lora.architectures lists the LoRA-capable"
                + " ones), so its engine runs without --enable-lora");
    }

    /** The architecture names (and model type) of a model: from its folder's config.json, else the catalogue. */
    List<String> architectureOf(String enginePath) {
        if (enginePath.startsWith("/")) {
            Path dir = Path.of(enginePath);
            if (!home.contains(dir) || !Files.isRegularFile(dir.resolve(ModelFolder.CONFIG))) {
                return List.of();
            }
            JsonNode config;
            try {
                config = ModelFolder.readJson(dir.resolve(ModelFolder.CONFIG), "a model config");
            } catch (ModelFolder.Unreadable e) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            for (JsonNode a : config.path("architectures")) {
                if (a.isTextual()) {
                    names.add(a.asText());
                }
            }
            if (config.path("model_type").isTextual()) {
                names.add(config.path("model_type").asText());
            }
            return names;
        }
        return catalog.find(enginePath)
                .map(m -> m.family() == null ? List.<String>of() : List.of(m.family()))
                .orElse(List.of());
    }
}
