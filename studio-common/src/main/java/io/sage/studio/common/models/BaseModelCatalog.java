package io.sage.studio.common.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.type.TypeReference;

import io.sage.studio.events.StudioJson;

/**
 * The base-model catalogue shared by the finetune-service (what users may pick) and the gpu-probe-service
 * (architecture numbers for memory estimates), so the two never disagree. Built in; replaced by the JSON
 * file named by {@code studio.models.catalog-file} (env {@code STUDIO_MODELS_CATALOG_FILE}) when set.
 */
@ApplicationScoped
public class BaseModelCatalog {

    private static final String BUILT_IN = "/io/sage/studio/common/models/base-models.json";
    private static final TypeReference<List<BaseModel>> LIST = new TypeReference<>() {};

    private final List<BaseModel> models;

    public BaseModelCatalog(@ConfigProperty(name = "studio.models.catalog-file") Optional<String> file) {
        this.models = file.filter(f -> !f.isBlank()).map(f -> load(Path.of(f))).orElseGet(BaseModelCatalog::builtIn);
    }

    public static BaseModelCatalog builtInCatalog() {
        return new BaseModelCatalog(Optional.empty());
    }

    public List<BaseModel> all() {
        return models;
    }

    public Optional<BaseModel> find(String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    private static List<BaseModel> builtIn() {
        try (InputStream in = BaseModelCatalog.class.getResourceAsStream(BUILT_IN)) {
            return List.copyOf(StudioJson.mapper().readValue(in, LIST));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in model catalogue", e);
        }
    }

    private static List<BaseModel> load(Path file) {
        try {
            return List.copyOf(StudioJson.mapper().readValue(Files.readAllBytes(file), LIST));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model catalogue " + file, e);
        }
    }
}
