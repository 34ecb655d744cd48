package io.sage.studio.finetune.executor.kubernetes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * A small structural check of an object against a CRD's {@code openAPIV3Schema}, as the API server would apply it: a
 * field the schema does not name fails (the server would prune it silently), as do a value of the wrong type, a missing
 * required field and a string outside an {@code enum}. Objects without declared properties (e.g. {@code metadata}),
 * {@code x-kubernetes-preserve-unknown-fields} and {@code additionalProperties} are honoured; CEL rules are not run.
 */
final class CrdSchema {

    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private final CustomResourceDefinition crd;

    private CrdSchema(CustomResourceDefinition crd) {
        this.crd = crd;
    }

    /** The CRD stored under {@code src/test/resources/crds/}. */
    static CrdSchema load(String file) {
        try (InputStream in = CrdSchema.class.getResourceAsStream("/crds/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no CRD " + file);
            }
            return new CrdSchema(JSON.unmarshal(in, CustomResourceDefinition.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    CustomResourceDefinition crd() {
        return crd;
    }

    /** Every violation of {@code object} (serialised as the client sends it) against the version it names. */
    List<String> violations(Object object) {
        @SuppressWarnings("unchecked")
        Map<String, Object> value = JSON.convertValue(object, Map.class);
        String apiVersion = String.valueOf(value.get("apiVersion"));
        List<String> errors = new ArrayList<>();
        if (!apiVersion.startsWith(crd.getSpec().getGroup() + "/")) {
            errors.add("apiVersion " + apiVersion + " is not of group "
                    + crd.getSpec().getGroup());
        }
        if (!crd.getSpec().getNames().getKind().equals(value.get("kind"))) {
            errors.add("kind " + value.get("kind") + " is not "
                    + crd.getSpec().getNames().getKind());
        }
        CustomResourceDefinitionVersion version = crd.getSpec().getVersions().stream()
                .filter(v -> apiVersion.endsWith("/" + v.getName()))
                .findFirst()
                .orElse(null);
        if (version == null) {
            errors.add("the CRD serves no version " + apiVersion);
            return errors;
        }
        check(value, version.getSchema().getOpenAPIV3Schema(), "", errors);
        return errors;
    }

    private static void check(Object value, JSONSchemaProps schema, String path, List<String> errors) {
        if (Boolean.TRUE.equals(schema.getXKubernetesIntOrString())) {
            if (!(value instanceof Integer || value instanceof Long || value instanceof String)) {
                errors.add(path + ": expected an int or a string, got " + describe(value));
            }
            return;
        }
        String type = schema.getType();
        if (type == null) {
            return;
        }
        switch (type) {
            case "object" -> checkObject(value, schema, path, errors);
            case "array" -> {
                if (!(value instanceof List<?> list)) {
                    errors.add(path + ": expected an array, got " + describe(value));
                    return;
                }
                for (int i = 0; i < list.size(); i++) {
                    check(list.get(i), schema.getItems().getSchema(), path + "[" + i + "]", errors);
                }
            }
            case "string" -> {
                if (!(value instanceof String text)) {
                    errors.add(path + ": expected a string, got " + describe(value));
                } else if (schema.getEnum() != null
                        && !schema.getEnum().isEmpty()
                        && schema.getEnum().stream().map(JsonNode::asText).noneMatch(text::equals)) {
                    errors.add(path + ": " + text + " is not one of " + schema.getEnum());
                }
            }
            case "integer" -> {
                if (!(value instanceof Integer || value instanceof Long)) {
                    errors.add(path + ": expected an integer, got " + describe(value));
                }
            }
            case "number" -> {
                if (!(value instanceof Number)) {
                    errors.add(path + ": expected a number, got " + describe(value));
                }
            }
            case "boolean" -> {
                if (!(value instanceof Boolean)) {
                    errors.add(path + ": expected a boolean, got " + describe(value));
                }
            }
            default -> errors.add(path + ": the schema has an unknown type " + type);
        }
    }

    private static void checkObject(Object value, JSONSchemaProps schema, String path, List<String> errors) {
        if (!(value instanceof Map<?, ?> map)) {
            errors.add(path + ": expected an object, got " + describe(value));
            return;
        }
        if (schema.getRequired() != null) {
            for (String required : schema.getRequired()) {
                if (!map.containsKey(required)) {
                    errors.add(path + ": the required field " + required + " is missing");
                }
            }
        }
        Map<String, JSONSchemaProps> properties = schema.getProperties();
        JSONSchemaProps additional = schema.getAdditionalProperties() == null
                ? null
                : schema.getAdditionalProperties().getSchema();
        boolean open = Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())
                || ((properties == null || properties.isEmpty()) && additional == null);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = String.valueOf(entry.getKey());
            String at = path + "." + key;
            if (properties != null && properties.containsKey(key)) {
                check(entry.getValue(), properties.get(key), at, errors);
            } else if (additional != null) {
                check(entry.getValue(), additional, at, errors);
            } else if (!open) {
                errors.add(at + ": unknown field");
            }
        }
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }
}
