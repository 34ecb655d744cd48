package io.sage.studio.kube;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

/**
 * Where the pods the studio creates may run: node selector, tolerations and affinity, the same for trainer Jobs
 * and engines.
 *
 * <p>The chart passes them as one JSON object (Helm {@code toJson} of the values), read here with Jackson into
 * the fabric8 model types, so nothing is re-parsed from strings:
 * <pre>{"nodeSelector":{"pool":"gpu"},"tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}],"affinity":{}}</pre>
 *
 * <p>The older string form of a toleration is still read for one release ({@link #legacyToleration}); see
 * {@link #of} for how both combine.
 */
public record Scheduling(Map<String, String> nodeSelector, List<Toleration> tolerations, Affinity affinity) {

    /** No constraints: any node, no tolerations. */
    public static final Scheduling NONE = new Scheduling(Map.of(), List.of(), null);

    /** The taint effects Kubernetes knows. */
    public static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    private static final Set<String> FIELDS = Set.of("nodeSelector", "tolerations", "affinity");
    private static final ObjectMapper JSON = new ObjectMapper();

    public Scheduling {
        nodeSelector = Collections.unmodifiableMap(new LinkedHashMap<>(nodeSelector));
        tolerations = List.copyOf(tolerations);
        tolerations.forEach(Scheduling::check);
        affinity = isEmpty(affinity) ? null : affinity;
    }

    /** The node selector as a pod spec takes it: {@code null} when empty, so no empty field is written. */
    public Map<String, String> nodeSelectorOrNull() {
        return nodeSelector.isEmpty() ? null : nodeSelector;
    }

    /**
     * One object with the optional fields {@code nodeSelector} (label → value), {@code tolerations} (a list of
     * Kubernetes tolerations) and {@code affinity} (a Kubernetes affinity); a blank text is {@link #NONE}.
     *
     * @throws IllegalArgumentException when the text is not such an object, names another field, or a toleration is
     *                                  invalid (unknown operator or effect, a value with {@code Exists})
     */
    public static Scheduling fromJson(String json) {
        if (json == null || json.isBlank()) {
            return NONE;
        }
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("scheduling must be a JSON object, got: " + json);
            }
            for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!FIELDS.contains(name)) {
                    throw new IllegalArgumentException("scheduling has an unknown field '" + name + "' (known: "
                            + "nodeSelector, tolerations, affinity)");
                }
            }
            Map<String, String> nodeSelector = read(root.get("nodeSelector"), new TypeReference<>() {});
            List<Toleration> tolerations = read(root.get("tolerations"), new TypeReference<>() {});
            Affinity affinity = read(root.get("affinity"), new TypeReference<>() {});
            return new Scheduling(
                    nodeSelector == null ? Map.of() : nodeSelector,
                    tolerations == null ? List.of() : tolerations,
                    affinity);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("scheduling is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The settings of a service: the JSON object of {@link #fromJson} combined with the older keys, which stay
     * readable for one release. The node selector has the entries of both ({@code json} wins on the same label);
     * the tolerations are those of {@code json} followed by the older ones.
     *
     * @param json               the JSON object, if set
     * @param legacyNodeSelector the older map-valued node selector
     * @param legacyTolerations  the older string-form tolerations ({@link #legacyToleration})
     */
    public static Scheduling of(
            Optional<String> json, Map<String, String> legacyNodeSelector, List<String> legacyTolerations) {
        Scheduling structured = fromJson(json.orElse(null));
        Map<String, String> nodeSelector = new LinkedHashMap<>(legacyNodeSelector);
        nodeSelector.putAll(structured.nodeSelector());
        List<Toleration> tolerations = new ArrayList<>(structured.tolerations());
        tolerations.addAll(legacyTolerations(legacyTolerations));
        return new Scheduling(nodeSelector, tolerations, structured.affinity());
    }

    /** {@link #legacyToleration} of each non-blank entry. */
    public static List<Toleration> legacyTolerations(List<String> specs) {
        List<Toleration> out = new ArrayList<>();
        for (String spec : specs) {
            if (!spec.isBlank()) {
                out.add(legacyToleration(spec));
            }
        }
        return out;
    }

    /**
     * One toleration in the older string form (deprecated: read for one release, the chart no longer writes it):
     * <ul>
     * <li>{@code key=value:Effect}: operator Equal;
     * <li>{@code key=value}: operator Equal, every effect;
     * <li>{@code key:Exists:Effect}: operator Exists;
     * <li>{@code key:Exists} or {@code key}: operator Exists, every effect;
     * <li>{@code key:Effect}: operator Exists (the form the chart wrote before);
     * <li>{@code :Exists} (or {@code :Exists:Effect}): no key, operator Exists: tolerates every taint (of that
     * effect).
     * </ul>
     * Effect is one of {@link #EFFECTS}.
     *
     * @throws IllegalArgumentException for any other form
     */
    public static Toleration legacyToleration(String spec) {
        String text = spec.strip();
        String[] parts = text.split(":", -1);
        if (parts.length > 3) {
            throw invalid(spec, "too many ':'");
        }
        String head = parts[0].strip();
        boolean exists = false;
        String effect = null;
        if (parts.length == 3) {
            if (!"Exists".equals(parts[1].strip())) {
                throw invalid(spec, "the middle part must be Exists");
            }
            exists = true;
            effect = parts[2].strip();
        } else if (parts.length == 2) {
            String tail = parts[1].strip();
            if ("Exists".equals(tail)) {
                exists = true;
            } else {
                effect = tail;
            }
        }
        TolerationBuilder toleration = new TolerationBuilder();
        int eq = head.indexOf('=');
        if (eq >= 0) {
            if (exists) {
                throw invalid(spec, "a value needs operator Equal, not Exists");
            }
            String key = head.substring(0, eq).strip();
            if (key.isEmpty()) {
                throw invalid(spec, "a value needs a key");
            }
            toleration
                    .withKey(key)
                    .withOperator("Equal")
                    .withValue(head.substring(eq + 1).strip());
        } else {
            toleration.withKey(head.isEmpty() ? null : head).withOperator("Exists");
        }
        toleration.withEffect(effect == null || effect.isEmpty() ? null : effect);
        Toleration built = toleration.build();
        try {
            check(built);
        } catch (IllegalArgumentException e) {
            throw invalid(spec, e.getMessage());
        }
        return built;
    }

    private static void check(Toleration t) {
        String operator = t.getOperator() == null ? "Equal" : t.getOperator();
        if (!operator.equals("Equal") && !operator.equals("Exists")) {
            throw new IllegalArgumentException("toleration operator must be Exists or Equal, got " + operator);
        }
        if (t.getEffect() != null && !t.getEffect().isEmpty() && !EFFECTS.contains(t.getEffect())) {
            throw new IllegalArgumentException("toleration effect must be one of NoSchedule, PreferNoSchedule, "
                    + "NoExecute or empty, got " + t.getEffect());
        }
        if (operator.equals("Exists") && t.getValue() != null && !t.getValue().isEmpty()) {
            throw new IllegalArgumentException("a toleration with operator Exists has no value");
        }
        if ((t.getKey() == null || t.getKey().isEmpty()) && !operator.equals("Exists")) {
            throw new IllegalArgumentException("a toleration without a key needs operator Exists");
        }
    }

    private static IllegalArgumentException invalid(String spec, String why) {
        return new IllegalArgumentException("invalid toleration '" + spec + "': " + why + " (forms: key=value:Effect, "
                + "key=value, key:Exists:Effect, key:Exists, key:Effect, key, :Exists)");
    }

    private static <T> T read(JsonNode node, TypeReference<T> type) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return JSON.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("scheduling: " + e.getMessage(), e);
        }
    }

    private static boolean isEmpty(Affinity affinity) {
        return affinity == null
                || (affinity.getNodeAffinity() == null
                        && affinity.getPodAffinity() == null
                        && affinity.getPodAntiAffinity() == null);
    }
}
