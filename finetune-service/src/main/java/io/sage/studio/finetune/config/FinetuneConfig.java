package io.sage.studio.finetune.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.sage.studio.common.config.NotBlank;
import io.sage.studio.common.config.Range;
import io.sage.studio.finetune.executor.kubernetes.DistributedEngine;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the finetune-service ({@code studio.finetune.*}); every key can be set by its environment variable. */
@ConfigMapping(prefix = "studio.finetune")
public interface FinetuneConfig {

    /**
     * The base model of a task created without {@code model_name} (the original SAGE Studio's default, kept so its
     * clients can leave the field out).
     */
    @WithDefault("Qwen/Qwen2.5-7B-Instruct")
    String defaultModel();

    /** Where tasks run: {@code local} (a process on this machine) or {@code kubernetes} (one Job per task). */
    @WithDefault("local")
    ExecutorKind executor();

    /** Progress coalescing: at most one progress event per task per this interval (state changes are never held back). */
    @WithDefault("500ms")
    Duration progressInterval();

    /** How often the progress files of running tasks are read. */
    @WithDefault("100ms")
    Duration progressPoll();

    /** How often the task folder is rescanned for task folders copied in or removed from outside. */
    @WithDefault("2s")
    Duration rescanInterval();

    /** Lines of {@code logs.txt} shown in a task's {@code logs} field. */
    @WithDefault("20")
    @Range(min = 0, max = 1000)
    int logsTailLines();

    /** Queued plus running tasks one owner may have at once; one more is answered 429 {@code quota_exceeded}. */
    @WithDefault("20")
    @Range(min = 1, max = 100000)
    int maxQueuedPerOwner();

    /**
     * The trainer checkpoints every this many steps ({@code save_steps} in {@code job.json}); unset: about every 10 %
     * of the run's estimated steps, at least 1. Pause, retry and automatic resume continue from the latest checkpoint.
     */
    @Range(min = 1)
    Optional<Integer> saveSteps();

    /** Checkpoints the trainer keeps ({@code save_total_limit}); it removes older ones. */
    @WithDefault("3")
    @Range(min = 1, max = 1000)
    int saveTotalLimit();

    /**
     * Attempts of a task in all, the first included: a trainer that dies without explaining why (killed, node lost,
     * pod evicted) is resumed from its latest checkpoint until then; {@code 1}: never automatically.
     */
    @WithDefault("3")
    @Range(min = 1, max = 100)
    int maxAttempts();

    /** The wait before each automatic resume (the second attempt, the third, …; the last value repeats). */
    @WithDefault("5s,30s,2m")
    List<Duration> resumeBackoff();

    /**
     * Total bytes of normalised dataset files one owner may keep stored; an upload past it is answered 413
     * {@code dataset_quota_exceeded}. Datasets stored before owners were recorded count against no one.
     */
    @WithDefault("10737418240")
    @Range(min = 1)
    long maxDatasetsBytes();

    /** Model downloads streamed at once (each holds a worker thread); one more is answered 503 {@code too_many_downloads}. */
    @WithDefault("4")
    @Range(min = 1, max = 256)
    int maxConcurrentDownloads();

    Datasets dataset();

    Local local();

    Kubernetes kubernetes();

    Docs docs();

    Evaluation evaluation();

    Trackers trackers();

    enum ExecutorKind {
        LOCAL,
        KUBERNETES
    }

    /** Uploaded datasets. */
    interface Datasets {

        /** Largest dataset file accepted (bytes); a larger upload is answered 413. */
        @WithDefault("2147483648")
        @Range(min = 1)
        long maxBytes();

        /** Largest single record (one JSONL line or one array element, bytes). */
        @WithDefault("8388608")
        @Range(min = 1024)
        int maxRecordBytes();

        /** How many per-record errors a validation report lists (all are counted). */
        @WithDefault("100")
        @Range(min = 1, max = 10000)
        int maxErrors();

        /**
         * Threads that check the lines of a JSONL upload while the request thread reads on; 0: one per CPU; 1: the
         * request thread alone.
         */
        @WithDefault("0")
        @Range(min = 0, max = 64)
        int validationThreads();
    }

    /** The local-process executor. */
    interface Local {

        /** The trainer command, split into arguments without a shell (quotes group words); {@code --spec <job.json>} is appended. */
        @WithDefault("python3 -m sage_trainer")
        @NotBlank
        String trainerCommand();

        /** Tasks run at once when no GPU is known from telemetry. */
        @WithDefault("1")
        @Range(min = 1, max = 64)
        int concurrency();

        /**
         * When telemetry shows GPUs on this node, give each task its own {@code gpus} of them not held by another run
         * ({@code CUDA_VISIBLE_DEVICES}); off: {@code concurrency} tasks share every GPU.
         */
        @WithDefault("true")
        boolean onePerGpu();

        /**
         * How long a waiting task that does not fit on the free GPUs lets smaller tasks behind it start on them; after
         * that the GPUs it needs are kept for it as they come free, so a multi-GPU task is never starved.
         */
        @WithDefault("10m")
        Duration gpuReservationAfter();

        /** The node name of this machine in GPU telemetry; unset: the host name, or the only node reporting. */
        Optional<String> gpuNode();

        /**
         * How long a cancelled or paused trainer may take to checkpoint after SIGTERM before its process group gets
         * SIGKILL: past the trainer's own 60 s checkpoint limit, so a large (e.g. FSDP-gathered) checkpoint is never cut
         * short by the service. A trainer that stops promptly is not held back by it.
         */
        @WithDefault("90s")
        Duration cancelGrace();

        /**
         * Extra environment variables for the trainer (e.g. {@code HF_HOME}). Of the service's own environment only
         * an allow-list passes ({@code ChildEnvironment}: PATH, HOME, locale, proxies, {@code HF_*}, {@code CUDA_*}, …;
         * never {@code STUDIO_*} or anything named like a key, secret or password).
         */
        Map<String, String> env();

        /**
         * Variables of the service's own environment passed to the trainer on top of the allow-list: names, or
         * prefixes ending in {@code *}. A name that looks like a secret (key, token, secret, password, credential) is
         * never passed. The default passes the stand-in trainer's settings ({@code FAKE_TRAINER_*}), which the
         * launcher's tests, end-to-end runs and benchmarks set in the service's environment.
         */
        @WithDefault("FAKE_TRAINER_*")
        List<String> passEnv();
    }

    /** The Kubernetes Job executor. */
    interface Kubernetes {

        /** Namespace of the Jobs; unset: the client's namespace. */
        Optional<String> namespace();

        /** Trainer image (pin a tag). */
        @WithDefault("ghcr.io/sage-studio/sage-trainer:0.1.0")
        String image();

        /** Image pull policy of the trainer container. */
        @WithDefault("IfNotPresent")
        String imagePullPolicy();

        /** Trainer command inside the image; {@code --spec <job.json>} is appended. */
        @WithDefault("python3,-m,sage_trainer")
        List<String> command();

        /** Name of the PersistentVolumeClaim that holds the studio home (shared with this service). */
        @WithDefault("sage-studio-home")
        String homeClaim();

        /** Where the studio-home volume is mounted in the trainer pod. */
        @WithDefault("/studio-home")
        String homeMountPath();

        /** GPUs per Job (0 for CPU-only). */
        @WithDefault("1")
        @Range(min = 0, max = 16)
        int gpuCount();

        /** The extended resource name of a GPU. */
        @WithDefault("nvidia.com/gpu")
        String gpuResource();

        /** CPU request of the trainer container. */
        @WithDefault("2")
        String cpuRequest();

        /** Memory request (and limit) of the trainer container. */
        @WithDefault("16Gi")
        String memory();

        /**
         * Scheduling of the trainer pod as one JSON object with the optional fields {@code nodeSelector},
         * {@code tolerations} and {@code affinity} in Kubernetes' own shape (the chart writes it with {@code toJson});
         * read by studio-kube's {@code Scheduling}.
         */
        Optional<String> scheduling();

        /** Node selector of the trainer pod (older form, read for one release; prefer {@code scheduling}). */
        Map<String, String> nodeSelector();

        /**
         * Tolerations of the trainer pod in the older string form, read for one release (prefer {@code scheduling}):
         * {@code key=value:Effect}, {@code key=value}, {@code key:Exists:Effect}, {@code key:Exists}, {@code key:Effect},
         * {@code key} or {@code :Exists}.
         */
        Optional<List<String>> tolerations();

        /** RuntimeClass of the trainer pod (e.g. {@code nvidia}). */
        Optional<String> runtimeClassName();

        /** ServiceAccount of the trainer pod. */
        Optional<String> serviceAccount();

        /**
         * Group of the trainer pod ({@code fsGroup} and {@code runAsGroup}); set it to the services' group so that
         * the trainer and the studio can both write the task folders on the shared volume.
         */
        Optional<Long> fsGroup();

        /** Kueue LocalQueue; when set, Jobs carry {@code kueue.x-k8s.io/queue-name}. */
        Optional<String> kueueQueue();

        /**
         * The job engine a task on more than one GPU ({@code nodes × gpus > 1}) runs through: {@code jobset},
         * {@code pytorchjob} (Kubeflow Training Operator) or {@code trainjob} (Kubeflow Trainer). The chart installs
         * none; a task is refused with a message naming the missing CRD. Single-GPU tasks stay plain Jobs.
         */
        @WithDefault("jobset")
        DistributedEngine distributedEngine();

        /** The ClusterTrainingRuntime a TrainJob refers to (a torch runtime; Kubeflow Trainer ships this one). */
        @WithDefault("torch-distributed")
        String trainjobRuntime();

        /** Pod retries before the Job fails. */
        @WithDefault("0")
        @Range(min = 0, max = 10)
        int backoffLimit();

        /** Wall-clock limit of a Job (seconds). */
        @WithDefault("172800")
        @Range(min = 60)
        long activeDeadlineSeconds();

        /**
         * Seconds a trainer pod gets after SIGTERM before it is killed ({@code terminationGracePeriodSeconds}): a pause,
         * a cancel, a Kueue preemption or an eviction relies on them for the trainer's checkpoint, so they must cover
         * writing one (the trainer itself gives up a checkpoint after 60 s and exits); Kubernetes' own 30 s cut large
         * checkpoints short.
         */
        @WithDefault("90")
        @Range(min = 1, max = 3600)
        long terminationGracePeriodSeconds();

        /** Jobs the studio keeps submitted at once (further tasks wait in the studio queue). */
        @WithDefault("4")
        @Range(min = 1, max = 1000)
        int concurrency();

        /** How often Job and Pod status is read. */
        @WithDefault("3s")
        Duration pollInterval();
    }

    /**
     * Where a trainer's experiment trackers report, for tasks whose {@code report_to} names them. A trainer pod on
     * Kubernetes gets these as its environment, credentials from their Secret by reference (never as a value, like
     * {@code HF_TOKEN}); a local trainer gets the plain values beneath the service's own {@code MLFLOW_*} and
     * {@code WANDB_*} variables, which win (credentials locally come from that environment only).
     */
    interface Trackers {

        Mlflow mlflow();

        Wandb wandb();

        /** MLflow ({@code report_to: mlflow}). */
        interface Mlflow {

            /** {@code MLFLOW_TRACKING_URI} of the trainers (e.g. {@code http://mlflow.mlops:5000}). */
            Optional<String> trackingUri();

            /** {@code MLFLOW_EXPERIMENT_NAME} of the trainers; unset: the trainer's {@code sage-studio}. */
            Optional<String> experimentName();

            /** Existing Secret a trainer pod reads {@code MLFLOW_TRACKING_TOKEN} from; unset: no token. */
            Optional<String> tokenSecretName();

            /** Key of the token in that Secret. */
            @WithDefault("MLFLOW_TRACKING_TOKEN")
            String tokenSecretKey();
        }

        /** Weights & Biases ({@code report_to: wandb}). */
        interface Wandb {

            /** {@code WANDB_BASE_URL} of the trainers (a self-hosted server); unset: wandb.ai. */
            Optional<String> baseUrl();

            /** {@code WANDB_PROJECT} of the trainers; unset: the trainer's {@code sage-studio}. */
            Optional<String> project();

            /** Existing Secret a trainer pod reads {@code WANDB_API_KEY} from; unset: no key, and the task shows wandb unavailable. */
            Optional<String> apiKeySecretName();

            /** Key of the API key in that Secret. */
            @WithDefault("WANDB_API_KEY")
            String apiKeySecretKey();
        }
    }

    /** {@code prepare-sage-docs}: chat samples from the bundled project docs. */
    interface Docs {

        /** Sections shorter than this (characters) are skipped. */
        @WithDefault("200")
        @Range(min = 1)
        int minSectionChars();

        /** Longer sections are split at paragraph boundaries into samples of at most this many characters. */
        @WithDefault("3000")
        @Range(min = 200)
        int maxSampleChars();
    }

    /** Evaluation runs of completed tasks against a baseline ({@code POST …/tasks/{id}/evaluations}). */
    interface Evaluation {

        /** The chat-switch-service, asked to serve both arms by name ({@code POST /api/chat/serving?wait=true}). */
        @WithDefault("${studio.services.chat-url:http://localhost:8082}")
        String chatUrl();

        /** The OpenAI-compatible API that answers served models by name (the gateway's {@code /v1}). */
        @WithDefault("${studio.services.gateway-url:http://localhost:8080}")
        String openaiUrl();

        /** Evaluations queued or running at once; one more is answered 429 {@code evaluation_queue_full}. */
        @WithDefault("16")
        @Range(min = 1, max = 1000)
        int maxQueued();

        /** Generation requests one evaluation has in flight at once (both arms together). */
        @WithDefault("4")
        @Range(min = 1, max = 64)
        int concurrency();

        /** The limit of one generation (or judge) request. */
        @WithDefault("120s")
        Duration requestTimeout();

        /** How long serving one arm may take (an engine may have to start). */
        @WithDefault("15m")
        Duration serveTimeout();
    }
}
