package io.sage.studio.process;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment of a child process the studio starts (a trainer, a model server): built from an allow-list, never
 * inherited whole. A service's own environment holds secrets the child must not see (the cloud API key, the event
 * signing key, tokens, Kafka credentials); a trainer runs user-chosen code paths and writes its environment into logs
 * users can download.
 *
 * <p>What passes: the basics a program needs ({@code PATH}, {@code HOME}, locale, time zone, temp dir), proxies and CA
 * bundles, the Hugging Face token and caches ({@code HF_*}, {@code HUGGING_FACE_HUB_TOKEN}, {@code TRANSFORMERS_*}),
 * CUDA/NCCL/NVIDIA and PyTorch/vLLM tuning ({@code CUDA_*}, {@code NCCL_*}, {@code NVIDIA_*}, {@code TORCH_*},
 * {@code PYTORCH_*}, {@code VLLM_*}), Python and thread settings. Whatever is never passed even when it matches a
 * prefix: {@code STUDIO_*}, {@code SAGE_*}, {@code KAFKA_*} and anything whose name says it is a key, secret, password
 * or credential ({@code *_API_KEY}, {@code *SECRET*}, {@code *PASSWORD*}, {@code *CREDENTIAL*}) — except
 * {@code HF_TOKEN} and {@code HUGGING_FACE_HUB_TOKEN}, which exist to reach the child. The caller adds what it means
 * to give on top ({@link #build(Map, Map)}'s {@code explicit}), which always wins.
 */
public final class ChildEnvironment {

    /** Names passed as they are. */
    static final Set<String> NAMES = Set.of(
            "PATH",
            "HOME",
            "USER",
            "LOGNAME",
            "SHELL",
            "LANG",
            "LANGUAGE",
            "TZ",
            "TMPDIR",
            "TERM",
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "NO_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "all_proxy",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "LD_LIBRARY_PATH",
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONUNBUFFERED",
            "PYTHONDONTWRITEBYTECODE",
            "VIRTUAL_ENV",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "TOKENIZERS_PARALLELISM",
            "XDG_CACHE_HOME",
            "XDG_CONFIG_HOME",
            "TRITON_CACHE_DIR",
            "NODE_NAME");

    /** Name prefixes passed (subject to {@link #isSecretName(String)}). */
    static final List<String> PREFIXES = List.of(
            "LC_",
            "HF_",
            "TRANSFORMERS_",
            "CUDA_",
            "NCCL_",
            "NVIDIA_",
            "TORCH_",
            "PYTORCH_",
            "VLLM_",
            "CONDA_",
            "PYENV_");

    /** Never passed from the parent, whatever the prefix says. */
    static final List<String> DENIED_PREFIXES = List.of("STUDIO_", "SAGE_", "KAFKA_", "QUARKUS_", "OPENAI_");

    private ChildEnvironment() {}

    /**
     * The child's environment: the allowed part of {@code parent}, then {@code explicit} on top (its entries always
     * pass: they are what the caller means to give).
     */
    public static Map<String, String> build(Map<String, String> parent, Map<String, String> explicit) {
        Map<String, String> env = new TreeMap<>();
        parent.forEach((name, value) -> {
            if (allowed(name)) {
                env.put(name, value);
            }
        });
        env.putAll(explicit);
        return env;
    }

    /** Replaces {@code builder}'s inherited environment with {@link #build(Map, Map)} of the current process's. */
    public static void apply(ProcessBuilder builder, Map<String, String> explicit) {
        Map<String, String> env = builder.environment();
        Map<String, String> built = build(System.getenv(), explicit);
        env.clear();
        env.putAll(built);
    }

    /** Whether a variable of the parent's environment may pass to a child. */
    public static boolean allowed(String name) {
        if (NAMES.contains(name)) {
            return true;
        }
        for (String denied : DENIED_PREFIXES) {
            if (name.startsWith(denied)) {
                return false;
            }
        }
        if (isSecretName(name)) {
            return false;
        }
        for (String prefix : PREFIXES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The variables of {@code parent} that {@code patterns} name (exact names, or prefixes ending in {@code *}), except
     * those whose name says they hold a secret: for a setting such as {@code studio.finetune.local.pass-env} that lets
     * an operator pass more of the service's environment on.
     */
    public static Map<String, String> named(Map<String, String> parent, List<String> patterns) {
        Map<String, String> out = new TreeMap<>();
        parent.forEach((name, value) -> {
            boolean named = patterns.stream()
                    .map(String::strip)
                    .anyMatch(p -> p.endsWith("*")
                            ? p.length() > 1 && name.startsWith(p.substring(0, p.length() - 1))
                            : name.equals(p));
            if (named && !isSecretName(name) && !name.toUpperCase(Locale.ROOT).contains("KEY")) {
                out.put(name, value);
            }
        });
        return out;
    }

    /** Whether a name says it holds a secret (an API key, a password, a credential); {@code HF_TOKEN} is let through by name. */
    public static boolean isSecretName(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return upper.endsWith("_API_KEY")
                || upper.equals("API_KEY")
                || upper.contains("SECRET")
                || upper.contains("PASSWORD")
                || upper.contains("PASSWD")
                || upper.contains("CREDENTIAL")
                || upper.contains("PRIVATE_KEY")
                || upper.endsWith("_SIGNING_KEY")
                || (upper.endsWith("_TOKEN") && !NAMES.contains(name));
    }
}
