package io.sage.studio.common.models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;

/**
 * How trainers and model servers reach the Hugging Face Hub ({@code studio.models.*}), shared by the services that
 * start them (finetune-service's trainers, chat-switch-service's engines) so a model is downloaded once, with the same
 * token, into the same cache, for training and for serving.
 *
 * <ul>
 *   <li><b>Token</b>: {@code HF_TOKEN} of the service's environment, or the file {@code studio.models.hf-token-file}
 *       (read once at start; it wins over the environment). Given to local child processes as {@code HF_TOKEN};
 *       on Kubernetes a pod gets it from the Secret {@code studio.models.hf-token-secret.name} (key
 *       {@code …secret.key}) by reference, never as a literal. Never logged, never in an error.
 *   <li><b>Cache</b>: {@code HF_HOME}: {@code studio.models.hf-home}, else the service's own {@code HF_HOME} (a
 *       cache the operator already has), else {@code <studio home>/hf-cache}; on Kubernetes the same folder as the
 *       pods see it on the studio-home volume.
 *   <li><b>Offline</b>: {@code studio.models.offline=true} sets {@code HF_HUB_OFFLINE=1} and
 *       {@code TRANSFORMERS_OFFLINE=1} for children (air-gapped clusters), and {@link #requireCached} refuses a
 *       model that is not in the cache before a task is queued or an engine started, instead of a failure minutes
 *       later in a trainer or engine log.
 * </ul>
 */
@ApplicationScoped
public class HubSettings {

    /** The cache's folder in the studio home unless {@code studio.models.hf-home} names another. */
    public static final String DEFAULT_CACHE = "hf-cache";
    /** The key of the token in its Secret unless {@code studio.models.hf-token-secret.key} names another. */
    public static final String DEFAULT_SECRET_KEY = "HF_TOKEN";
    /** The environment variable that carries the token. */
    public static final String TOKEN_VARIABLE = "HF_TOKEN";

    /** A Hub id ({@code org/name} or {@code name}): what may become a cache folder name. */
    private static final Pattern HUB_ID =
            Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?");

    /** The Secret a pod reads {@code HF_TOKEN} from. */
    public record TokenSecret(String name, String key) {}

    private final StudioHome home;
    private final Path hfHome;
    private final Optional<String> token;
    private final boolean offline;
    private final Optional<TokenSecret> tokenSecret;

    @Inject
    public HubSettings(
            StudioHome home,
            @ConfigProperty(name = "studio.models.hf-home") Optional<String> hfHome,
            @ConfigProperty(name = "studio.models.hf-token-file") Optional<String> tokenFile,
            @ConfigProperty(name = "studio.models.offline", defaultValue = "false") boolean offline,
            @ConfigProperty(name = "studio.models.hf-token-secret.name") Optional<String> secretName,
            @ConfigProperty(name = "studio.models.hf-token-secret.key", defaultValue = DEFAULT_SECRET_KEY)
                    String secretKey) {
        this(home, hfHome, tokenFile, offline, secretName, secretKey, System.getenv());
    }

    /** As the service would build it with {@code environment} as its environment (tests). */
    public HubSettings(
            StudioHome home,
            Optional<String> hfHome,
            Optional<String> tokenFile,
            boolean offline,
            Optional<String> secretName,
            String secretKey,
            Map<String, String> environment) {
        this.home = home;
        this.hfHome = hfHome.filter(h -> !h.isBlank())
                .or(() -> Optional.ofNullable(environment.get("HF_HOME")).filter(h -> !h.isBlank()))
                .map(h -> home.root().resolve(h.strip()).normalize())
                .orElse(home.root().resolve(DEFAULT_CACHE));
        this.token = tokenFile
                .filter(f -> !f.isBlank())
                .map(f -> readToken(Path.of(f.strip())))
                .or(() -> Optional.ofNullable(environment.get(TOKEN_VARIABLE)).filter(t -> !t.isBlank()));
        this.offline = offline;
        this.tokenSecret = secretName
                .filter(n -> !n.isBlank())
                .map(n -> new TokenSecret(n.strip(), secretKey.isBlank() ? DEFAULT_SECRET_KEY : secretKey.strip()));
    }

    /** The defaults (cache in the studio home, online, no token file or Secret) with the given environment. */
    public static HubSettings defaults(StudioHome home, Map<String, String> environment) {
        return new HubSettings(
                home, Optional.empty(), Optional.empty(), false, Optional.empty(), DEFAULT_SECRET_KEY, environment);
    }

    private static String readToken(Path file) {
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the Hugging Face token file " + file
                    + " (studio.models.hf-token-file): " + e.getClass().getSimpleName());
        }
        if (value.isEmpty() || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalStateException("the Hugging Face token file " + file
                    + " (studio.models.hf-token-file) must hold one token (one word)");
        }
        return value;
    }

    /** {@code HF_HOME} of local children: the shared download cache. */
    public Path hfHome() {
        return hfHome;
    }

    public boolean offline() {
        return offline;
    }

    /** Whether a token is configured (its value never leaves this class except into a child's environment). */
    public boolean hasToken() {
        return token.isPresent();
    }

    /** The Secret pods read {@code HF_TOKEN} from, when one is configured. */
    public Optional<TokenSecret> tokenSecret() {
        return tokenSecret;
    }

    /**
     * What a local trainer or engine gets on top of its allow-listed environment: {@code HF_HOME}, {@code HF_TOKEN}
     * when a token is configured, and the offline switches when offline.
     */
    public Map<String, String> processEnv() {
        Map<String, String> env = common(hfHome.toString());
        token.ifPresent(t -> env.put(TOKEN_VARIABLE, t));
        return env;
    }

    /**
     * What a pod gets as plain values ({@code HF_HOME} as the pod sees it, the offline switches); {@code HF_TOKEN}
     * comes from {@link #tokenSecret()} by reference. A cache inside the studio home lies under
     * {@code homeMountPath} in the pod; one outside it is used as it is (the image or a volume must provide it).
     */
    public Map<String, String> podEnv(String homeMountPath) {
        return common(cacheInHome()
                .map(relative -> homeMountPath.replaceAll("/+$", "") + "/" + relative)
                .orElse(hfHome.toString()));
    }

    /**
     * The cache's folder relative to the studio home, when it lies inside it (a pod that mounts the studio home
     * read-only mounts this folder writable, so a model it downloads lands in the shared cache).
     */
    public Optional<String> cacheInHome() {
        return hfHome.startsWith(home.root()) && !hfHome.equals(home.root())
                ? Optional.of(home.root().relativize(hfHome).toString())
                : Optional.empty();
    }

    private Map<String, String> common(String hfHomeValue) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HF_HOME", hfHomeValue);
        if (offline) {
            env.put("HF_HUB_OFFLINE", "1");
            env.put("TRANSFORMERS_OFFLINE", "1");
        }
        return env;
    }

    /**
     * When offline, refuses a base model that is neither a model directory nor in the cache: 409
     * {@code model_not_cached} naming the model and how to fill the cache. Online, everything passes (the trainer or
     * engine downloads it).
     *
     * @param field the request field that named the model, in the error's details
     */
    public void requireCached(String model, String field) {
        if (!offline || model == null || model.isBlank() || cached(hfHome, model.strip())) {
            return;
        }
        String id = model.strip();
        throw new StudioException(
                CommonError.MODEL_NOT_CACHED,
                "studio.models.offline is on and " + id + " is not in the Hugging Face cache " + hfHome
                        + ". Fill the cache on a machine with access to the Hub: HF_HOME=" + hfHome
                        + " huggingface-cli download " + id
                        + " (copy the folder there if that machine is another), or name a local model directory",
                List.of(new FieldError(field, "not in the Hugging Face cache (offline)")));
    }

    /**
     * Whether {@code model} can be loaded without the Hub: a directory with a {@value ModelFolder#CONFIG}, or a Hub id
     * with a snapshot holding one in {@code <hfHome>/hub/models--<org>--<name>/snapshots/<revision>/}.
     */
    public static boolean cached(Path hfHome, String model) {
        Path given = Path.of(model);
        if (given.isAbsolute()) {
            return Files.isDirectory(given) && ModelFolder.hasConfig(given);
        }
        if (!HUB_ID.matcher(model).matches() || model.contains("..")) {
            return false;
        }
        Path snapshots = hfHome.resolve("hub")
                .resolve("models--" + model.replace("/", "--"))
                .resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            return false;
        }
        try (DirectoryStream<Path> revisions = Files.newDirectoryStream(snapshots)) {
            for (Path revision : revisions) {
                if (ModelFolder.hasConfig(revision)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
