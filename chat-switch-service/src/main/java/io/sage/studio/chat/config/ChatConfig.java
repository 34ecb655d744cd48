package io.sage.studio.chat.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.sage.studio.chat.switching.SwitchStrategy;
import io.sage.studio.common.config.Holds;
import io.sage.studio.common.config.Range;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the chat-switch-service ({@code studio.chat.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.chat")
public interface ChatConfig {

    /** Where model servers run: {@code local} child processes, {@code kubernetes} Deployments, or {@code none} (a cloud API). */
    @WithDefault("local")
    RuntimeKind runtime();

    /** Route chat to the cloud API whatever {@code runtime} says (set from {@code SAGE_FORCE_CLOUD_API}). */
    @WithDefault("false")
    boolean forceCloud();

    /** Strategy of a switch that names none: {@code auto}, {@code lora-hot-load}, {@code blue-green} or {@code recreate}. */
    @WithDefault("auto")
    SwitchStrategy strategy();

    /** Longest wait for a new backend to pass its readiness checks (health, model listed, smoke generation). */
    @WithDefault("10m")
    Duration readyTimeout();

    /** Longest wait for the old backend's in-flight requests to finish before it is stopped. */
    @WithDefault("30s")
    Duration drainGrace();

    /** Retry-After the gateway sends while no backend serves during a recreate switch, in seconds. */
    @WithDefault("15")
    @Range(min = 1, max = 3600)
    int retryAfterSeconds();

    /** Model to serve at start when no backend is active or the active one is dead (env {@code STUDIO_CHAT_INITIAL_MODEL}). */
    Optional<String> initialModel();

    /** How many engines fit at once: 1 forces recreate, 2 or more allows blue-green; unset, GPU telemetry decides. */
    @Range(min = 1)
    Optional<Integer> maxConcurrentBackends();

    /** Send a one-token generation to a new backend before routing to it. */
    @WithDefault("true")
    boolean smokeTest();

    /** Timeout of one readiness, smoke or adapter request to an engine. */
    @WithDefault("60s")
    Duration probeTimeout();

    /** Restart the active engine (recreate, same model) when its process or Deployment dies. */
    @WithDefault("true")
    boolean restartCrashed();

    /** How often the active engine's liveness is checked. */
    @WithDefault("5s")
    Duration monitorInterval();

    /** A switch command not picked up by the executor within this time fails and frees the switch slot. */
    @WithDefault("30s")
    Duration commandTimeout();

    /** Commands on {@code studio.chat.commands} older than this are ignored (e.g. redelivered after a long outage). */
    @WithDefault("5m")
    Duration commandMaxAge();

    /** Artifact that serves when a task produced both: {@code lora} (hot-loadable) or {@code merged}. */
    @WithDefault("lora")
    PreferredArtifact preferArtifact();

    /** This node's name in GPU telemetry (the gpu-probe's node name); unset, the host name. */
    Optional<String> node();

    /** How many finished switch operations are kept on disk. */
    @WithDefault("200")
    @Range(min = 1)
    int keepOperations();

    /**
     * Longest wait for the broker to acknowledge a route event. The {@code chat-backend} producer's own timeouts are
     * derived from it ({@code max.block.ms} 20 %, {@code delivery.timeout.ms} 70 %), so a route that was not
     * acknowledged in time can no longer be written afterwards.
     */
    @WithDefault("30s")
    Duration routePublishTimeout();

    /** Switch commands from Kafka waiting for the executor at most; more are recorded as failed at once. */
    @WithDefault("16")
    @Range(min = 1, max = 1024)
    int maxQueuedCommands();

    /**
     * Whether switches and rollouts of a task's model need a completed evaluation that is not {@code worse} when the
     * request does not say ({@code require_evaluation}); see {@code EvaluationGate}.
     */
    @WithDefault("false")
    boolean requireEvaluation();

    Lora lora();

    Engine engine();

    Memory memory();

    Local local();

    Kubernetes kubernetes();

    Cloud cloud();

    Gateway gateway();

    enum RuntimeKind {
        LOCAL,
        KUBERNETES,
        NONE
    }

    enum PreferredArtifact {
        LORA,
        MERGED
    }

    /** LoRA serving. */
    interface Lora {

        /** Start engines with {@code --enable-lora} so fine-tuned adapters can be loaded at runtime. */
        @WithDefault("true")
        boolean enabled();

        /**
         * {@code --max-lora-rank} of new engines, rounded up to a value vLLM accepts (8, 16, 32, 64, 128, 256, 320,
         * 512); an adapter of a higher rank gets an engine of its own.
         */
        @WithDefault("64")
        @Range(min = 1, max = 512)
        int maxRank();

        /**
         * Architectures ({@code config.json} {@code architectures}, or the catalogue's family as a model type such as
         * {@code qwen2}) whose engines are started with {@code --enable-lora}; vLLM exits at start for a model class
         * without LoRA support, so any other base is started without it and a LoRA switch onto it is refused. Extend
         * the list when vLLM supports LoRA for another architecture.
         */
        @WithDefault("LlamaForCausalLM,MistralForCausalLM,MixtralForCausalLM,Qwen2ForCausalLM,Qwen3ForCausalLM,"
                + "Qwen2MoeForCausalLM,Qwen3MoeForCausalLM,GemmaForCausalLM,Gemma2ForCausalLM,Gemma3ForCausalLM,"
                + "PhiForCausalLM,Phi3ForCausalLM,llama,mistral,mixtral,qwen2,qwen3,qwen2_moe,qwen3_moe,gemma,gemma2,"
                + "gemma3_text,phi,phi3")
        List<String> architectures();
    }

    /** vLLM engine arguments every LoRA-enabled engine gets (local and Kubernetes alike). */
    interface Engine {

        /** {@code --max-loras}: adapters in one batch at most (vLLM's default is 1: requests to a second one wait). */
        @WithDefault("4")
        @Range(min = 1, max = 256)
        int maxLoras();

        /**
         * {@code --max-cpu-loras}: adapters vLLM keeps in its CPU cache; at least {@code max-loras}. Also how many
         * adapters the serving set puts on one engine: a full engine unloads its least recently used one first.
         */
        @WithDefault("8")
        @Range(min = 1, max = 4096)
        int maxCpuLoras();

        /** Start-up check: vLLM exits when {@code --max-cpu-loras} is below {@code --max-loras}. */
        @Holds("studio.chat.engine.max-cpu-loras must be at least studio.chat.engine.max-loras"
                + " (vLLM refuses to start otherwise)")
        default boolean isCpuCacheLargeEnough() {
            return maxCpuLoras() >= maxLoras();
        }
    }

    /** GPU memory accounting for the blue-green or recreate decision. */
    interface Memory {

        /** Serving footprint to assume for every model, in bytes, instead of the estimate. */
        @Range(min = 1)
        Optional<Long> servingBytes();

        /** vLLM's {@code --gpu-memory-utilization} (share of a GPU one engine takes); added to engine commands when set. */
        @Range(min = 0.05, max = 1.0)
        Optional<Double> gpuMemoryUtilization();
    }

    /** Engines as local child processes. */
    interface Local {

        /**
         * Command template split into arguments without a shell; placeholders {model}, {port}, {name}, {host}. Its
         * {@code --host} is always {@code host} (added when missing: vLLM would listen on every interface).
         */
        @WithDefault("vllm serve {model} --host {host} --port {port} --served-model-name {name}")
        String command();

        /** Host the engines listen on (and only there), as used in their base URLs. */
        @WithDefault("127.0.0.1")
        String host();

        /**
         * Ports engines may use, e.g. {@code 8002-8011} ({@code from-to} ranges and single ports, comma-separated). 8001
         * is left out: it is the gateway's stable local OpenAI port ({@link #llmPort()}).
         */
        @WithDefault("8002-8011")
        String ports();

        /**
         * The gateway's stable local OpenAI port ({@code studio.gateway.llm-port}; {@code ./sage studio start} sets both
         * from {@code SAGE_STUDIO_LLM_PORT}, default 8001). Engines never listen there: the service refuses to start
         * when {@link #ports()} includes it. Unset, nothing is checked.
         */
        @Range(min = 1, max = 65535)
        Optional<Integer> llmPort();

        /** Start-up check: {@link #ports()} leaves {@link #llmPort()} to the gateway. */
        @Holds("studio.chat.local.ports must not include the gateway's LLM port studio.chat.local.llm-port"
                + " (SAGE_STUDIO_LLM_PORT): leave that port out of the engines' range")
        default boolean isPortsClearOfLlmPort() {
            return llmPort().isEmpty() || !includes(ports(), llmPort().get());
        }

        /**
         * Whether a port list ({@code 8002-8011}, {@code 8001,8005}, a mix) includes {@code port}; parts that are not
         * numbers are left to the engines' port pool to report.
         */
        static boolean includes(String ports, int port) {
            for (String part : ports.split(",")) {
                String p = part.strip();
                int dash = p.indexOf('-');
                try {
                    int from =
                            Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
                    int to = dash < 0
                            ? from
                            : Integer.parseInt(p.substring(dash + 1).strip());
                    if (port >= from && port <= to) {
                        return true;
                    }
                } catch (NumberFormatException e) {
                    // not a port: PortPool says so
                }
            }
            return false;
        }

        /**
         * Extra environment of engine processes (e.g. CUDA_VISIBLE_DEVICES). Engines otherwise get only the allow-listed
         * part of this service's environment (PATH, HOME, locale, proxies, HF_*, CUDA_*, ...; never a key or secret)
         * plus VLLM_API_KEY and, with LoRA, VLLM_ALLOW_RUNTIME_LORA_UPDATING.
         */
        Map<String, String> environment();

        /** Grace between SIGTERM and SIGKILL when an engine is stopped. */
        @WithDefault("20s")
        Duration stopTimeout();

        /** Stop engines when this service stops; otherwise they keep serving and are re-adopted at the next start. */
        @WithDefault("false")
        boolean stopOnShutdown();

        /** How many engine log files ({@code <backend>.log}) are kept; older ones of stopped engines are deleted at start. */
        @WithDefault("20")
        @Range(min = 1)
        int keepLogs();
    }

    /** Engines as Kubernetes Deployments (one Deployment and Service per backend). */
    interface Kubernetes {

        /** Namespace of the engine Deployments; unset, the client's namespace. */
        Optional<String> namespace();

        /** vLLM OpenAI server image (pinned tag). */
        @WithDefault("vllm/vllm-openai:v0.11.0")
        String image();

        /** Image pull policy of the engine container. */
        @WithDefault("IfNotPresent")
        String imagePullPolicy();

        /** Port the engine container listens on. */
        @WithDefault("8000")
        @Range(min = 1, max = 65535)
        int port();

        /**
         * Pods per engine Deployment. Each pod is a vLLM process of its own: this service loads every runtime adapter
         * into each ready pod (reached with {@code pod-url-template}) and again into a pod that restarted or appeared
         * later; a model is ready only when every ready pod holds it. Each pod takes {@code gpu-count} GPUs.
         */
        @WithDefault("1")
        @Range(min = 1)
        int engineReplicas();

        /**
         * How this service reaches one engine pod when an engine has more than one ({@code engine-replicas}):
         * placeholders {pod}, {ip} (the pod IP, bracketed when IPv6), {port}, {namespace}. With one replica the
         * Service ({@code base-url-template}) is used.
         */
        @WithDefault("http://{ip}:{port}")
        String podUrlTemplate();

        /** GPUs per engine. */
        @WithDefault("1")
        @Range(min = 0)
        int gpuCount();

        /** Extended resource name of a GPU. */
        @WithDefault("nvidia.com/gpu")
        String gpuResource();

        /**
         * Scheduling of engine pods as one JSON object with the optional fields {@code nodeSelector},
         * {@code tolerations} and {@code affinity} in Kubernetes' own shape (the chart writes it with {@code toJson});
         * read by studio-kube's {@code Scheduling}.
         */
        Optional<String> scheduling();

        /** Node selector of engine pods (older form, read for one release; prefer {@code scheduling}). */
        Map<String, String> nodeSelector();

        /**
         * Tolerations of engine pods in the older string form, read for one release (prefer {@code scheduling}):
         * {@code key=value:Effect}, {@code key=value}, {@code key:Exists:Effect}, {@code key:Exists}, {@code key:Effect},
         * {@code key} or {@code :Exists}.
         */
        Optional<List<String>> tolerations();

        /** RuntimeClass of engine pods (e.g. {@code nvidia}). */
        Optional<String> runtimeClassName();

        /** Service account of engine pods. */
        Optional<String> serviceAccount();

        /** PersistentVolumeClaim that holds the studio home (models and adapters). */
        @WithDefault("sage-studio-home")
        String modelsClaim();

        /** Mount path of that claim in engine pods; unset, the studio home path, so artifact paths stay valid. */
        Optional<String> modelsMountPath();

        /** CPU request and limit of an engine (e.g. {@code 4}). */
        Optional<String> cpu();

        /** Memory request and limit of an engine (e.g. {@code 24Gi}). */
        Optional<String> memory();

        /** Size of the in-memory {@code /dev/shm} of an engine. */
        @WithDefault("2Gi")
        String shmSize();

        /** Extra vLLM arguments of every engine. */
        Optional<List<String>> extraArgs();

        /** How this service and the gateway reach a backend; placeholders {service}, {namespace}, {port}. */
        @WithDefault("http://{service}.{namespace}.svc:{port}")
        String baseUrlTemplate();

        /** ConfigMap kept current with SAGE_CHAT_BASE_URL and SAGE_CHAT_MODEL for an external gateway. */
        Optional<String> gatewayConfigMap();

        /** Deployment of an external gateway restarted (rollout) after that ConfigMap changes. */
        Optional<String> gatewayDeployment();

        /**
         * Secret (key {@code api-key}) whose value engines get as VLLM_API_KEY; it must hold this service's
         * {@code studio.engines.api-key}. Unset, the service keeps the Secret {@code sage-chat-engine-api-key} itself
         * (created or updated with its key; needs get/create/update on Secrets).
         */
        Optional<String> engineApiKeySecret();
    }

    /** An OpenAI-compatible cloud API (runtime {@code none}). */
    interface Cloud {

        /** Base URL of the API, e.g. {@code https://api.openai.com/v1}. */
        Optional<String> baseUrl();

        /** API key (from a secret; never logged, never published). */
        Optional<String> apiKey();

        /** Model to ask the API for. */
        Optional<String> model();

        /** Check the API (model listed, one-token generation) before routing to it. */
        @WithDefault("true")
        boolean verify();
    }

    /** External gateways that read SAGE_CHAT_BASE_URL / SAGE_CHAT_MODEL. */
    interface Gateway {

        /** Keep {@code $STUDIO_HOME/studio/chat/backend.env} current. */
        @WithDefault("true")
        boolean envFile();
    }
}
