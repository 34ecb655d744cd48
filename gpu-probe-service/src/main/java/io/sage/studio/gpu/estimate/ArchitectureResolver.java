package io.sage.studio.gpu.estimate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.BaseModel;
import io.sage.studio.common.models.BaseModelCatalog;
import io.sage.studio.common.models.ModelFolder;
import io.sage.studio.gpu.GpuProbeError;

/**
 * Finds the architecture of the model a request names: explicit numbers, a catalogue id, a model folder's
 * {@code config.json} inside the studio home, or a LoRA adapter folder whose {@code adapter_config.json}
 * names its base model. Only folders are read, with studio-common's {@link ModelFolder} (the reader chat-switch's
 * {@code ServableModelResolver} uses too); an error never quotes what a file holds.
 */
@ApplicationScoped
public class ArchitectureResolver {

    private final BaseModelCatalog catalog;
    private final StudioHome home;

    public ArchitectureResolver(BaseModelCatalog catalog, StudioHome home) {
        this.catalog = catalog;
        this.home = home;
    }

    public ResolvedArchitecture resolve(String model, EstimateRequest.Architecture explicit) {
        if (explicit != null) {
            return fromNumbers(
                    model == null || model.isBlank() ? "custom" : model, "request", explicit, "architecture.");
        }
        if (model == null || model.isBlank()) {
            throw StudioException.invalidField(
                    "model", "model is required (a catalogue id or a model folder), " + "or give architecture");
        }
        Optional<BaseModel> known = catalog.find(model.strip());
        if (known.isPresent()) {
            return fromCatalog(known.get());
        }
        return fromFolder(model, home.resolveInside(model, "model"), true);
    }

    private ResolvedArchitecture fromCatalog(BaseModel base) {
        return new ResolvedArchitecture(
                base.id(), "catalog", ModelArchitecture.of(base), base.params(), base.contextLength());
    }

    /**
     * A model folder ({@code config.json}) or a LoRA adapter folder ({@code adapter_config.json}) inside the studio
     * home. Anything else that exists is {@code not_a_model}: files are never parsed as configs, so an error can
     * never quote a file that is not a model's (the studio home also holds keys, env files and task metadata).
     */
    private ResolvedArchitecture fromFolder(String model, Path path, boolean followAdapter) {
        if (!Files.exists(path)) {
            throw unknown(model, "it is not in the base-model catalogue and " + path + " does not exist");
        }
        if (!Files.isDirectory(path)) {
            throw notAModel(path);
        }
        if (ModelFolder.hasConfig(path)) {
            return fromConfig(model, inside(path.resolve(ModelFolder.CONFIG)));
        }
        Path adapter = path.resolve(ModelFolder.ADAPTER_CONFIG);
        if (followAdapter && ModelFolder.hasAdapterConfig(path)) {
            String base = read(inside(adapter)).path("base_model_name_or_path").asText("");
            if (base.isBlank()) {
                throw unknown(model, adapter + " names no base_model_name_or_path");
            }
            Optional<BaseModel> known = catalog.find(base);
            if (known.isPresent()) {
                return fromCatalog(known.get());
            }
            return fromFolder(model, home.resolveInside(base, "model"), false);
        }
        throw notAModel(path);
    }

    /** A config file whose real path (links resolved) stays inside the studio home. */
    private Path inside(Path file) {
        if (!home.contains(file)) {
            throw new StudioException(
                    CommonError.PATH_OUTSIDE_HOME,
                    file.getFileName() + " of " + file.getParent() + " links outside the studio home",
                    List.of(new FieldError("model", "links outside the studio home")));
        }
        return file;
    }

    private ResolvedArchitecture fromConfig(String model, Path file) {
        JsonNode config = read(file);
        if (config.has("text_config") && !config.has("hidden_size")) {
            config = config.get("text_config");
        }
        if (config.path("num_local_experts").asInt(0) > 1
                || config.path("num_experts").asInt(0) > 1) {
            throw StudioException.invalidField(
                    "model", "mixture-of-experts models are not supported by the estimator: " + file);
        }
        String type = config.path("model_type").asText(null);
        EstimateRequest.Architecture numbers = new EstimateRequest.Architecture(
                intOrNull(config, "hidden_size"),
                intOrNull(config, "num_hidden_layers"),
                intOrNull(config, "num_attention_heads"),
                intOrNull(config, "num_key_value_heads"),
                intOrNull(config, "head_dim"),
                intOrNull(config, "intermediate_size"),
                intOrNull(config, "vocab_size"),
                config.has("tie_word_embeddings")
                        ? config.get("tie_word_embeddings").asBoolean()
                        : null,
                config.has("attention_bias") ? config.get("attention_bias").asBoolean() : null,
                null,
                type);
        ResolvedArchitecture resolved = fromNumbers(model, "config", numbers, file.getFileName() + ": ");
        Integer context = intOrNull(config, "max_position_embeddings");
        return new ResolvedArchitecture(
                resolved.name(), resolved.source(), resolved.architecture(), resolved.params(), context);
    }

    /** Validates architecture numbers; {@code prefix} names where they came from in messages. */
    static ResolvedArchitecture fromNumbers(String name, String source, EstimateRequest.Architecture a, String prefix) {
        List<FieldError> errors = new ArrayList<>();
        String field = source.equals("request") ? "architecture." : "model";
        int hidden = require(errors, field, prefix, "hidden_size", a.hiddenSize(), 1, 1 << 17);
        int layers = require(errors, field, prefix, "num_hidden_layers", a.numHiddenLayers(), 1, 4096);
        int heads = require(errors, field, prefix, "num_attention_heads", a.numAttentionHeads(), 1, 4096);
        int kvHeads = a.numKeyValueHeads() == null
                ? heads
                : require(errors, field, prefix, "num_key_value_heads", a.numKeyValueHeads(), 1, 4096);
        int intermediate = require(errors, field, prefix, "intermediate_size", a.intermediateSize(), 1, 1 << 20);
        int vocab = require(errors, field, prefix, "vocab_size", a.vocabSize(), 1, 1 << 24);
        int headDim = a.headDim() != null
                ? require(errors, field, prefix, "head_dim", a.headDim(), 1, 1 << 14)
                : heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
        if (errors.isEmpty() && a.headDim() == null && headDim == 0) {
            errors.add(error(
                    field,
                    "head_dim",
                    prefix + "hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads
                            + "; give head_dim"));
        }
        if (errors.isEmpty() && heads % kvHeads != 0) {
            errors.add(error(
                    field,
                    "num_key_value_heads",
                    prefix + "num_attention_heads " + heads + " must be a multiple of num_key_value_heads " + kvHeads));
        }
        if (a.params() != null && (a.params() < 1 || a.params() > 10_000_000_000_000L)) {
            errors.add(error(field, "params", prefix + "params must be between 1 and 10^13"));
        }
        if (!errors.isEmpty()) {
            throw new StudioException(CommonError.INVALID_FIELD, errors.get(0).message(), errors);
        }
        boolean bias = a.attentionBias() != null
                ? a.attentionBias()
                : a.modelType() != null
                        && a.modelType().toLowerCase(Locale.ROOT).startsWith("qwen2");
        boolean tied = a.tieWordEmbeddings() != null && a.tieWordEmbeddings();
        ModelArchitecture arch =
                new ModelArchitecture(hidden, layers, heads, kvHeads, headDim, intermediate, vocab, tied, bias);
        long params = a.params() != null ? a.params() : arch.countParams();
        return new ResolvedArchitecture(name, source, arch, params, null);
    }

    private static int require(
            List<FieldError> errors, String field, String prefix, String key, Integer value, int min, int max) {
        if (value == null) {
            errors.add(error(field, key, prefix + key + " is required"));
            return 0;
        }
        if (value < min || value > max) {
            String was = field.endsWith(".") ? String.format(Locale.ROOT, ", was %d", value) : "";
            errors.add(error(
                    field,
                    key,
                    String.format(Locale.ROOT, "%s%s must be between %d and %d%s", prefix, key, min, max, was)));
            return 0;
        }
        return value;
    }

    private static FieldError error(String field, String key, String message) {
        return new FieldError(field.endsWith(".") ? field + key : field, message);
    }

    private static Integer intOrNull(JsonNode node, String key) {
        JsonNode value = node.get(key);
        return value != null && value.canConvertToInt() ? value.asInt() : null;
    }

    /** Parses a model's JSON config with the shared reader (errors name the file, never what it holds). */
    private static JsonNode read(Path file) {
        try {
            return ModelFolder.readJson(file, "a model config");
        } catch (ModelFolder.Unreadable e) {
            throw StudioException.invalidField("model", e.getMessage());
        }
    }

    private static StudioException notAModel(Path path) {
        return new StudioException(
                GpuProbeError.NOT_A_MODEL,
                path + " is not a model folder: give a catalogue id, a folder with "
                        + "config.json, or a LoRA adapter folder with adapter_config.json",
                List.of(new FieldError("model", "not a model folder")));
    }

    private static StudioException unknown(String model, String why) {
        return new StudioException(
                GpuProbeError.UNKNOWN_MODEL,
                "cannot size model " + model + ": " + why,
                List.of(new FieldError("model", why)));
    }
}
