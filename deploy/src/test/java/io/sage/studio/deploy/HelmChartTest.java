package io.sage.studio.deploy;

import static io.sage.studio.deploy.Install.container;
import static io.sage.studio.deploy.Install.env;
import static io.sage.studio.deploy.Install.volume;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.marcnuri.helm.LintResult;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.sage.studio.kube.Scheduling;

/** The chart rendered with its defaults and with representative values, checked object by object. */
class HelmChartTest {

    static final Path CHART = Path.of("helm", "sage-studio");
    static final Path PRODUCTION = Path.of("src", "test", "resources", "values", "production.yaml");
    static final String NS = "studio";
    static final Pattern VALUES_KEY = Pattern.compile("^( *)([A-Za-z0-9_./\"-]+):(.*)$");

    final ChartRenderer chart = new ChartRenderer(CHART);

    Install render(Path... valuesFiles) {
        return render(Map.of(), valuesFiles);
    }

    Install render(Map<String, String> sets, Path... valuesFiles) {
        return Install.of(chart.template("sage-studio", NS, List.of(valuesFiles), sets));
    }

    @Test
    void lintPassesInStrictMode() {
        LintResult lint = chart.lint();
        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void everyValueIsDocumentedWithADashDashComment() throws IOException {
        List<String> lines = Files.readAllLines(CHART.resolve("values.yaml"));
        List<String> undocumented = new ArrayList<>();
        // Indentation of the keys above the current line whose "# --" comment covers their whole subtree.
        Deque<Integer> documented = new ArrayDeque<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher key = VALUES_KEY.matcher(line);
            if (!key.matches()) {
                continue;
            }
            int indent = key.group(1).length();
            while (!documented.isEmpty() && documented.peek() >= indent) {
                documented.pop();
            }
            boolean commented = false;
            for (int j = i - 1; j >= 0 && lines.get(j).strip().startsWith("#"); j--) {
                if (lines.get(j).strip().startsWith("# --")) {
                    commented = true;
                }
            }
            if (commented) {
                documented.push(indent);
                continue;
            }
            boolean leaf = !key.group(3).isBlank();
            if (leaf && documented.isEmpty()) {
                undocumented.add((i + 1) + ": " + line.strip());
            }
        }
        assertThat(undocumented)
                .as("values without a '# --' comment on them or on a parent")
                .isEmpty();
    }

    @Test
    void defaultValuesRenderACompleteInstall() {
        Install install = render();

        assertThat(install.all(Deployment.class))
                .extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gateway",
                        "sage-studio-gpu-probe-api");
        assertThat(install.all(DaemonSet.class))
                .extracting(d -> d.getMetadata().getName())
                .containsExactly("sage-studio-gpu-probe");
        assertThat(install.all(Service.class))
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gpu-probe",
                        "sage-studio-gateway");
        assertThat(install.all(ServiceAccount.class))
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "sage-studio-finetune",
                        "sage-studio-chat-switch",
                        "sage-studio-gpu-probe",
                        "sage-studio-gateway",
                        "sage-studio-workload");
        assertThat(install.all(Role.class)).hasSize(2);
        assertThat(install.all(RoleBinding.class)).hasSize(2);
        assertThat(install.all(Ingress.class)).hasSize(1);
        assertThat(install.all(PersistentVolumeClaim.class)).hasSize(1);
        assertThat(install.all(PodDisruptionBudget.class)).hasSize(1);
        assertThat(install.all(Secret.class))
                .extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("sage-studio-engine-api-key", "sage-studio-events-signing");
        assertThat(install.all(NetworkPolicy.class))
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "sage-studio-gateway",
                        "sage-studio-services",
                        "sage-studio-chat-engines",
                        "sage-studio-trainers");
        assertThat(install.objects()).noneMatch(o -> o.getKind().equals("KafkaUser"));
        assertThat(install.all(ClusterRole.class)).as("namespace-scoped only").isEmpty();
    }

    @Test
    void everyObjectCarriesTheRecommendedLabels() {
        for (HasMetadata object : render(PRODUCTION).objects()) {
            assertThat(object.getMetadata().getLabels())
                    .as(object.getKind() + " " + object.getMetadata().getName())
                    .containsEntry("app.kubernetes.io/name", "sage-studio")
                    .containsEntry("app.kubernetes.io/instance", "sage-studio")
                    .containsEntry("app.kubernetes.io/part-of", "sage-studio")
                    .containsEntry("app.kubernetes.io/version", "0.1.0")
                    .containsKey("app.kubernetes.io/managed-by");
        }
    }

    @Test
    void servicesSelectTheirPodsAndTargetANamedContainerPort() {
        Install install = render();
        List<PodTemplateSpec> pods = install.podTemplates();
        for (Service service : install.all(Service.class)) {
            Map<String, String> selector = service.getSpec().getSelector();
            List<PodTemplateSpec> selected = pods.stream()
                    .filter(pod -> pod.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .toList();
            assertThat(selected)
                    .as("pods of " + service.getMetadata().getName())
                    .isNotEmpty();
            String target = service.getSpec().getPorts().get(0).getTargetPort().getStrVal();
            for (PodTemplateSpec pod : selected) {
                assertThat(container(pod).getPorts())
                        .extracting(ContainerPort::getName)
                        .contains(target);
            }
        }
        assertThat(install.get(Service.class, "sage-studio-finetune")
                        .getSpec()
                        .getPorts()
                        .get(0)
                        .getPort())
                .isEqualTo(8081);
    }

    @Test
    void everyServiceIsProbedOnTheQuarkusHealthEndpoints() {
        for (PodTemplateSpec pod : render().podTemplates()) {
            Container container = container(pod);
            assertThat(path(container.getLivenessProbe())).isEqualTo("/q/health/live");
            assertThat(path(container.getReadinessProbe())).isEqualTo("/q/health/ready");
            assertThat(path(container.getStartupProbe())).isEqualTo("/q/health/started");
            assertThat(container.getReadinessProbe().getHttpGet().getPort().getStrVal())
                    .isEqualTo("http");
        }
    }

    private static String path(Probe probe) {
        assertThat(probe).isNotNull();
        return probe.getHttpGet().getPath();
    }

    @Test
    void imagesArePinnedAndComeFromOneRegistry() {
        Install install = render();
        for (PodTemplateSpec pod : install.podTemplates()) {
            Container container = container(pod);
            assertThat(container.getImage()).startsWith("ghcr.io/sage-studio/").endsWith(":0.1.0");
            assertThat(container.getImagePullPolicy()).isEqualTo("IfNotPresent");
        }
        assertThat(install.properties("sage-studio-finetune").getProperty("studio.finetune.kubernetes.image"))
                .isEqualTo("ghcr.io/sage-studio/sage-trainer:0.1.0");
        assertThat(install.properties("sage-studio-chat-switch").getProperty("studio.chat.kubernetes.image"))
                .matches("docker\\.io/vllm/vllm-openai:v\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void podsRunAsNonRootWithAReadOnlyRootFilesystem() {
        for (PodTemplateSpec pod : render().podTemplates()) {
            assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
            Container container = container(pod);
            assertThat(container.getSecurityContext().getReadOnlyRootFilesystem())
                    .isTrue();
            assertThat(container.getSecurityContext().getAllowPrivilegeEscalation())
                    .isFalse();
            assertThat(container.getSecurityContext().getCapabilities().getDrop())
                    .containsExactly("ALL");
            assertThat(mount(container, "tmp").getMountPath()).isEqualTo("/tmp");
        }
    }

    @Test
    void everyServiceListensOnAllInterfacesWithItsConfigurationMounted() {
        Install install = render();
        for (PodTemplateSpec pod : install.podTemplates()) {
            Container container = container(pod);
            String configMap = volume(pod, "config").getConfigMap().getName();
            Properties props = install.properties(configMap);
            assertThat(props.getProperty("quarkus.http.host")).isEqualTo("0.0.0.0");
            assertThat(mount(container, "config").getMountPath()).isEqualTo("/home/jboss/config");
            assertThat(pod.getMetadata().getAnnotations()).containsKey("checksum/config");
            assertThat(props.getProperty("studio.services.finetune-url")).isEqualTo("http://sage-studio-finetune:8081");
            assertThat(props.getProperty("studio.services.chat-url")).isEqualTo("http://sage-studio-chat-switch:8082");
            assertThat(props.getProperty("studio.services.gpu-url")).isEqualTo("http://sage-studio-gpu-probe:8083");
        }
    }

    @Test
    void configChecksumChangesExactlyWhenAComponentsConfigurationChanges() {
        Install before = render();
        Install trainerChanged = render(Map.of("finetune.trainer.gpu.count", "4"));
        Install replicasChanged = render(Map.of("gateway.replicas", "5"));

        assertThat(checksum(trainerChanged, "sage-studio-finetune"))
                .isNotEqualTo(checksum(before, "sage-studio-finetune"));
        assertThat(checksum(trainerChanged, "sage-studio-gateway")).isEqualTo(checksum(before, "sage-studio-gateway"));
        assertThat(checksum(replicasChanged, "sage-studio-gateway")).isEqualTo(checksum(before, "sage-studio-gateway"));
        Install kafkaChanged = render(Map.of("kafka.bootstrapServers", "other-kafka:9092"));
        for (String workload : List.of(
                "sage-studio-finetune",
                "sage-studio-chat-switch",
                "sage-studio-gateway",
                "sage-studio-gpu-probe",
                "sage-studio-gpu-probe-api")) {
            assertThat(checksum(kafkaChanged, workload)).as(workload).isNotEqualTo(checksum(before, workload));
        }
    }

    private static String checksum(Install install, String workload) {
        return install.pod(workload).getMetadata().getAnnotations().get("checksum/config");
    }

    @Test
    void theStudioHomeIsOneReadWriteManyClaimMountedAtTheSamePathEverywhere() {
        Install install = render();
        PersistentVolumeClaim claim = install.get(PersistentVolumeClaim.class, "sage-studio-studio-home");
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo("200Gi");
        assertThat(claim.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");

        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(volume(pod, "studio-home").getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("sage-studio-studio-home");
            assertThat(mount(container(pod), "studio-home").getMountPath()).isEqualTo("/var/lib/sage-studio");
        }
        Properties finetune = install.properties("sage-studio-finetune");
        assertThat(finetune.getProperty("studio.home")).isEqualTo("/var/lib/sage-studio");
        assertThat(finetune.getProperty("studio.finetune.kubernetes.home-claim"))
                .isEqualTo("sage-studio-studio-home");
        assertThat(finetune.getProperty("studio.finetune.kubernetes.home-mount-path"))
                .isEqualTo("/var/lib/sage-studio");
        assertThat(install.properties("sage-studio-chat-switch").getProperty("studio.chat.kubernetes.models-claim"))
                .isEqualTo("sage-studio-studio-home");
    }

    @Test
    void anExistingClaimReplacesTheChartsOwn() {
        Install install = render(PRODUCTION);
        assertThat(install.all(PersistentVolumeClaim.class)).isEmpty();
        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(volume(pod, "studio-home").getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("studio-home-cephfs");
            assertThat(mount(container(pod), "studio-home").getMountPath()).isEqualTo("/data/studio");
        }
        assertThat(install.properties("sage-studio-finetune").getProperty("studio.finetune.kubernetes.home-claim"))
                .isEqualTo("studio-home-cephfs");
    }

    @Test
    void gpuProbeRunsOnEveryGpuNodeWithTheHostDriversNvmlAndNoGpuRequest() {
        Install install = render();
        DaemonSet probe = install.get(DaemonSet.class, "sage-studio-gpu-probe");
        PodTemplateSpec pod = probe.getSpec().getTemplate();
        Container container = container(pod);

        assertThat(pod.getSpec().getTolerations())
                .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getEffect)
                .contains(tuple("nvidia.com/gpu", "Exists", "NoSchedule"));
        assertThat(pod.getSpec().getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("nvidia");
        assertThat(env(container, "NODE_NAME"))
                .get()
                .satisfies(e -> assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                        .isEqualTo("spec.nodeName"));
        assertThat(env(container, "NVIDIA_VISIBLE_DEVICES").map(EnvVar::getValue))
                .contains("all");
        assertThat(env(container, "NVIDIA_DRIVER_CAPABILITIES").map(EnvVar::getValue))
                .contains("utility");
        assertThat(container.getResources().getRequests()).doesNotContainKey("nvidia.com/gpu");
        assertThat(container.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();

        Properties node = install.properties("sage-studio-gpu-probe");
        assertThat(node.getProperty("studio.gpu.probe")).isEqualTo("nvml");
        assertThat(node.getProperty("studio.gpu.publish-telemetry")).isEqualTo("true");
        Properties api = install.properties("sage-studio-gpu-probe-api");
        assertThat(api.getProperty("studio.gpu.probe")).isEqualTo("none");
        assertThat(api.getProperty("studio.gpu.publish-telemetry")).isEqualTo("false");
        assertThat(container(install.pod("sage-studio-gpu-probe-api"))
                        .getResources()
                        .getLimits())
                .doesNotContainKey("nvidia.com/gpu");
    }

    @Test
    void trainerJobsGetGpusSchedulingKnobsAndKueueFromTheValues() {
        Properties defaults = render().properties("sage-studio-finetune");
        assertThat(defaults.getProperty("studio.finetune.executor")).isEqualTo("kubernetes");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.namespace")).isEqualTo("${POD_NAMESPACE}");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.gpu-resource"))
                .isEqualTo("nvidia.com/gpu");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.gpu-count")).isEqualTo("1");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.scheduling"))
                .isEqualTo(
                        "{\"affinity\":{},\"nodeSelector\":{},\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"nvidia.com/gpu\","
                                + "\"operator\":\"Exists\"}]}");
        assertThat(defaults).doesNotContainKey("studio.finetune.kubernetes.tolerations");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.service-account"))
                .isEqualTo("sage-studio-workload");
        assertThat(defaults).doesNotContainKey("studio.finetune.kubernetes.kueue-queue");
        // a pause or a Kueue preemption relies on the pod's grace period for the checkpoint: more than Kubernetes' 30 s
        assertThat(defaults.getProperty("studio.finetune.kubernetes.termination-grace-period-seconds"))
                .isEqualTo("90");
        assertThat(render(Map.of("finetune.trainer.terminationGracePeriodSeconds", "300"))
                        .properties("sage-studio-finetune")
                        .getProperty("studio.finetune.kubernetes.termination-grace-period-seconds"))
                .isEqualTo("300");
        assertThatThrownBy(() -> render(Map.of("finetune.trainer.terminationGracePeriodSeconds", "0")))
                .hasMessageContaining("terminationGracePeriodSeconds");

        Properties production = render(PRODUCTION).properties("sage-studio-finetune");
        assertThat(production.getProperty("studio.finetune.kubernetes.gpu-count"))
                .isEqualTo("2");
        assertThat(production.getProperty("studio.finetune.kubernetes.cpu-request"))
                .isEqualTo("8");
        assertThat(production.getProperty("studio.finetune.kubernetes.memory")).isEqualTo("64Gi");
        assertThat(production.getProperty("studio.finetune.kubernetes.kueue-queue"))
                .isEqualTo("team-a");
        assertThat(production.getProperty("studio.finetune.kubernetes.runtime-class-name"))
                .isEqualTo("nvidia");
        Scheduling trainers = Scheduling.fromJson(production.getProperty("studio.finetune.kubernetes.scheduling"));
        assertThat(trainers.tolerations())
                .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue, Toleration::getEffect)
                .containsExactly(
                        tuple("nvidia.com/gpu", "Exists", null, "NoSchedule"),
                        tuple("dedicated", "Equal", "training", "NoSchedule"));
        assertThat(trainers.nodeSelector())
                .containsOnly(
                        Map.entry("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"), Map.entry("pool", "training"));
        assertThat(trainers.affinity()
                        .getNodeAffinity()
                        .getRequiredDuringSchedulingIgnoredDuringExecution()
                        .getNodeSelectorTerms()
                        .get(0)
                        .getMatchExpressions()
                        .get(0)
                        .getValues())
                .containsExactly("a100", "h100");
        assertThat(production.stringPropertyNames())
                .noneMatch(key -> key.startsWith("studio.finetune.kubernetes.node-selector")
                        || key.equals("studio.finetune.kubernetes.tolerations"));
        assertThat(production.getProperty("studio.finetune.kubernetes.image"))
                .isEqualTo("registry.example.com/ml-platform/sage-trainer:0.1.0");
        assertThat(production.getProperty("studio.finetune.dataset.max-bytes")).isEqualTo(String.valueOf(2048L << 20));
    }

    @Test
    void modelServersGetGpusSchedulingKnobsAndTheExternalGateway() {
        Properties production = render(PRODUCTION).properties("sage-studio-chat-switch");
        assertThat(production.getProperty("studio.chat.runtime")).isEqualTo("kubernetes");
        assertThat(production.getProperty("studio.chat.strategy")).isEqualTo("blue-green");
        assertThat(production.getProperty("studio.chat.kubernetes.gpu-count")).isEqualTo("1");
        assertThat(production.getProperty("studio.chat.lora.max-rank")).isEqualTo("64");
        assertThat(production.getProperty("studio.chat.engine.max-loras")).isEqualTo("4");
        assertThat(production.getProperty("studio.chat.engine.max-cpu-loras")).isEqualTo("8");
        Scheduling engines = Scheduling.fromJson(production.getProperty("studio.chat.kubernetes.scheduling"));
        assertThat(engines.nodeSelector()).containsOnly(Map.entry("pool", "serving"));
        assertThat(engines.tolerations())
                .extracting(
                        Toleration::getKey,
                        Toleration::getOperator,
                        Toleration::getEffect,
                        Toleration::getTolerationSeconds)
                .containsExactly(
                        tuple("nvidia.com/gpu", "Exists", "NoSchedule", null),
                        tuple(null, "Exists", "NoExecute", 300L));
        assertThat(engines.affinity()).isNull();
        assertThat(production.getProperty("studio.chat.kubernetes.extra-args"))
                .isEqualTo("--gpu-memory-utilization,0.85,--max-model-len,8192");
        assertThat(production.getProperty("studio.chat.kubernetes.gateway-config-map"))
                .isEqualTo("sage-gateway-chat");
        assertThat(production.getProperty("studio.chat.kubernetes.gateway-deployment"))
                .isEqualTo("sage-gateway");
        assertThat(production.getProperty("studio.chat.max-concurrent-backends"))
                .isEqualTo("2");
        assertThat(production.getProperty("studio.chat.initial-model")).isEqualTo("Qwen/Qwen2.5-1.5B-Instruct");
    }

    @Test
    void listValuedPropertiesEscapeCommasAndBackslashes(@TempDir Path tmp) throws IOException {
        Path values = Files.writeString(tmp.resolve("args.yaml"), """
                chatSwitch:
                  vllm:
                    extraArgs: ["--chat-template-kwargs", "{\\"a\\": 1, \\"b\\": \\"x\\\\y\\"}"]
                """);
        Properties props = render(values).properties("sage-studio-chat-switch");
        // As read from the file; SmallRye Config then splits at the unescaped comma only and unescapes the rest.
        assertThat(props.getProperty("studio.chat.kubernetes.extra-args"))
                .isEqualTo("--chat-template-kwargs,{\"a\": 1\\, \"b\": \"x\\\\y\"}");
    }

    @Test
    void finetuneRoleIsLimitedToJobsPodsAndLogsInItsNamespace() {
        Install install = render();
        Role role = install.get(Role.class, "sage-studio-finetune");
        assertThat(rules(role))
                .containsExactlyInAnyOrder(
                        "batch/jobs:create,delete,get,list,watch",
                        "jobset.x-k8s.io/jobsets:create,delete,get,list,watch",
                        "/pods:get,list,watch",
                        "/pods/log:get",
                        "/events:get,list,watch");
        assertBoundTo(install, "sage-studio-finetune", "sage-studio-finetune");
    }

    /** Multi-GPU tasks: the engine chosen in the values reaches the service, and the Role covers only its kind. */
    @Test
    void theDistributedEngineIsConfiguredAndOnlyItsKindIsGranted() {
        Properties defaults = render().properties("sage-studio-finetune");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.distributed-engine"))
                .isEqualTo("jobset");
        assertThat(defaults.getProperty("studio.finetune.kubernetes.trainjob-runtime"))
                .isEqualTo("torch-distributed");

        Install trainJob = render(Map.of(
                "finetune.trainer.distributedEngine", "trainjob", "finetune.trainer.trainJobRuntime", "torch-fsdp"));
        assertThat(trainJob.properties("sage-studio-finetune")
                        .getProperty("studio.finetune.kubernetes.distributed-engine"))
                .isEqualTo("trainjob");
        assertThat(trainJob.properties("sage-studio-finetune")
                        .getProperty("studio.finetune.kubernetes.trainjob-runtime"))
                .isEqualTo("torch-fsdp");
        assertThat(rules(trainJob.get(Role.class, "sage-studio-finetune")))
                .contains("trainer.kubeflow.org/trainjobs:create,delete,get,list,watch")
                .noneMatch(rule -> rule.startsWith("jobset.x-k8s.io/") || rule.startsWith("kubeflow.org/"));
        assertThat(rules(render(Map.of("finetune.trainer.distributedEngine", "pytorchjob"))
                        .get(Role.class, "sage-studio-finetune")))
                .contains("kubeflow.org/pytorchjobs:create,delete,get,list,watch");
        assertThatThrownBy(() -> render(Map.of("finetune.trainer.distributedEngine", "mpijob")))
                .hasMessageContaining("distributedEngine");
    }

    @Test
    void chatSwitchRoleIsLimitedToDeploymentsServicesAndConfigMapsInItsNamespace() {
        Install install = render();
        Role role = install.get(Role.class, "sage-studio-chat-switch");
        assertThat(rules(role))
                .containsExactlyInAnyOrder(
                        "apps/deployments:create,delete,get,list,patch,update,watch",
                        "/services:create,delete,get,list,patch,update,watch",
                        "/configmaps:create,delete,get,list,patch,update,watch",
                        "/pods:get,list,watch",
                        "/pods/log:get",
                        "/events:get,list,watch",
                        "/secrets:get");
        assertThat(role.getRules())
                .filteredOn(r -> r.getResources().contains("secrets"))
                .singleElement()
                .satisfies(r -> assertThat(r.getResourceNames()).containsExactly("sage-studio-engine-api-key"));
        assertBoundTo(install, "sage-studio-chat-switch", "sage-studio-chat-switch");
    }

    @Test
    void noRoleGrantsSecretsOrWildcards() {
        for (Role role : render(PRODUCTION).all(Role.class)) {
            for (PolicyRule rule : role.getRules()) {
                if (rule.getResources().contains("secrets")) {
                    // Only the chat-switch-service reads the engine key Secret, by name, to check it before a start.
                    assertThat(role.getMetadata().getName()).isEqualTo("sage-studio-chat-switch");
                    assertThat(rule.getResources()).containsExactly("secrets");
                    assertThat(rule.getVerbs()).containsExactly("get");
                    assertThat(rule.getResourceNames()).containsExactly("sage-studio-engine-api-key");
                }
                assertThat(rule.getResources()).doesNotContain("*");
                assertThat(rule.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
                assertThat(rule.getApiGroups()).doesNotContain("*");
            }
        }
    }

    @Test
    void onlyTheServicesThatCallTheKubernetesApiGetAToken() {
        Install install = render();
        assertThat(install.pod("sage-studio-finetune").getSpec().getServiceAccountName())
                .isEqualTo("sage-studio-finetune");
        assertThat(install.pod("sage-studio-chat-switch").getSpec().getServiceAccountName())
                .isEqualTo("sage-studio-chat-switch");
        for (String workload : List.of("sage-studio-gateway", "sage-studio-gpu-probe", "sage-studio-gpu-probe-api")) {
            assertThat(install.pod(workload).getSpec().getAutomountServiceAccountToken())
                    .as(workload)
                    .isFalse();
        }
        assertThat(install.get(ServiceAccount.class, "sage-studio-workload").getAutomountServiceAccountToken())
                .isFalse();
    }

    @Test
    void trainerJobsAndModelServersPullWithTheInstallsSecrets() {
        ServiceAccount workload = render(PRODUCTION).get(ServiceAccount.class, "sage-studio-workload");
        assertThat(workload.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-credentials");
        assertThat(render(PRODUCTION)
                        .properties("sage-studio-chat-switch")
                        .getProperty("studio.chat.kubernetes.service-account"))
                .isEqualTo("sage-studio-workload");
        assertThat(render().get(ServiceAccount.class, "sage-studio-workload").getImagePullSecrets())
                .isEmpty();
    }

    private static Set<String> rules(Role role) {
        return role.getRules().stream()
                .flatMap(rule -> rule.getResources().stream()
                        .map(resource -> String.join(",", rule.getApiGroups()) + "/" + resource + ":"
                                + rule.getVerbs().stream().sorted().collect(Collectors.joining(","))))
                .collect(Collectors.toSet());
    }

    private static void assertBoundTo(Install install, String role, String serviceAccount) {
        RoleBinding binding = install.get(RoleBinding.class, role);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role);
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(serviceAccount);
            assertThat(subject.getNamespace()).isEqualTo(NS);
        });
    }

    /**
     * The original studio's stable OpenAI URL ({@code SAGE_STUDIO_LLM_PORT}, 8001): the gateway listens there too
     * ({@code studio.gateway.llm-port}) and its Service exposes the port as {@code llm}, so in-cluster clients keep
     * {@code http://<release>-gateway:8001/v1}; {@code gateway.llmPort: 0} turns it off.
     */
    @Test
    void theGatewayServiceExposesTheStableLlmPort() {
        Install install = render();
        assertThat(install.properties("sage-studio-gateway").getProperty("studio.gateway.llm-port"))
                .isEqualTo("8001");
        assertThat(container(install.pod("sage-studio-gateway")).getPorts()).anySatisfy(port -> {
            assertThat(port.getName()).isEqualTo("llm");
            assertThat(port.getContainerPort()).isEqualTo(8001);
        });
        assertThat(install.get(Service.class, "sage-studio-gateway").getSpec().getPorts())
                .anySatisfy(port -> {
                    assertThat(port.getName()).isEqualTo("llm");
                    assertThat(port.getPort()).isEqualTo(8001);
                    assertThat(port.getTargetPort().getStrVal()).isEqualTo("llm");
                })
                .anySatisfy(port -> assertThat(port.getPort()).isEqualTo(8080));

        Install moved = render(Map.of("gateway.llmPort", "9001"));
        assertThat(moved.properties("sage-studio-gateway").getProperty("studio.gateway.llm-port"))
                .isEqualTo("9001");
        assertThat(moved.get(Service.class, "sage-studio-gateway").getSpec().getPorts())
                .anySatisfy(port -> assertThat(port.getPort()).isEqualTo(9001));

        Install off = render(Map.of("gateway.llmPort", "0"));
        assertThat(off.properties("sage-studio-gateway").getProperty("studio.gateway.llm-port"))
                .isNull();
        assertThat(off.get(Service.class, "sage-studio-gateway").getSpec().getPorts())
                .extracting(ServicePort::getName)
                .containsExactly("http");
        assertThat(container(off.pod("sage-studio-gateway")).getPorts())
                .extracting(ContainerPort::getName)
                .containsExactly("http");
    }

    /**
     * Load on demand and the rollout figures are tunable from the chart: how many requests of one gateway pod wait for
     * a model being loaded, how often a gateway pod publishes its traffic figures; model servers of several pods.
     */
    @Test
    void theGatewaysWaitsAndTrafficIntervalAndTheEnginesReplicasAreValues() {
        Install install = render();
        Properties gateway = install.properties("sage-studio-gateway");
        assertThat(gateway.getProperty("studio.chat.load-on-demand")).isEqualTo("true");
        assertThat(gateway.getProperty("studio.gateway.load-on-demand-timeout")).isEqualTo("120s");
        assertThat(gateway.getProperty("studio.gateway.max-on-demand-waits")).isEqualTo("64");
        assertThat(gateway.getProperty("studio.gateway.traffic-interval")).isEqualTo("1s");
        assertThat(install.properties("sage-studio-chat-switch").getProperty("studio.chat.kubernetes.engine-replicas"))
                .isEqualTo("1");

        Install tuned = render(Map.of(
                "gateway.maxOnDemandWaits", "8",
                "gateway.trafficInterval", "500ms",
                "chatSwitch.vllm.replicas", "3"));
        assertThat(tuned.properties("sage-studio-gateway").getProperty("studio.gateway.max-on-demand-waits"))
                .isEqualTo("8");
        assertThat(tuned.properties("sage-studio-gateway").getProperty("studio.gateway.traffic-interval"))
                .isEqualTo("500ms");
        assertThat(tuned.properties("sage-studio-chat-switch").getProperty("studio.chat.kubernetes.engine-replicas"))
                .isEqualTo("3");

        assertThatThrownBy(() -> render(Map.of("gateway.maxOnDemandWaits", "0")))
                .hasMessageContaining("/gateway/maxOnDemandWaits");
        assertThatThrownBy(() -> render(Map.of("gateway.trafficInterval", "often")))
                .hasMessageContaining("/gateway/trafficInterval");
        assertThatThrownBy(() -> render(Map.of("chatSwitch.vllm.replicas", "0")))
                .hasMessageContaining("/chatSwitch/vllm/replicas");
    }

    @Test
    void theGatewayRunsTheThroughputCollectorOnTopOfTheCommonJvmOptions() {
        Install install = render();
        assertThat(env(container(install.pod("sage-studio-gateway")), "JAVA_OPTS_APPEND")
                        .orElseThrow()
                        .getValue())
                .isEqualTo("-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError -XX:+UseParallelGC");
        assertThat(env(container(install.pod("sage-studio-finetune")), "JAVA_OPTS_APPEND")
                        .orElseThrow()
                        .getValue())
                .isEqualTo("-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError");
        Install plain = render(Map.of("gateway.javaOpts", ""));
        assertThat(env(container(plain.pod("sage-studio-gateway")), "JAVA_OPTS_APPEND")
                        .orElseThrow()
                        .getValue())
                .isEqualTo("-XX:MaxRAMPercentage=75.0 -XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void singletonServicesNeverRunTwiceDuringAnUpgrade() {
        Install install = render();
        for (String name : List.of("sage-studio-finetune", "sage-studio-chat-switch")) {
            Deployment deployment = install.get(Deployment.class, name);
            assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
            assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        }
        Deployment gateway = install.get(Deployment.class, "sage-studio-gateway");
        assertThat(gateway.getSpec().getReplicas()).isEqualTo(2);
        assertThat(gateway.getSpec()
                        .getStrategy()
                        .getRollingUpdate()
                        .getMaxUnavailable()
                        .getIntVal())
                .isZero();
    }

    @Test
    void ingressRoutesEverythingToTheGateway() {
        Ingress defaults = render().get(Ingress.class, "sage-studio-gateway");
        IngressRule rule = defaults.getSpec().getRules().get(0);
        assertThat(rule.getHost()).isNull();
        assertThat(rule.getHttp().getPaths()).singleElement().satisfies(path -> {
            assertThat(path.getPath()).isEqualTo("/");
            assertThat(path.getPathType()).isEqualTo("Prefix");
            assertThat(path.getBackend().getService().getName()).isEqualTo("sage-studio-gateway");
            assertThat(path.getBackend().getService().getPort().getName()).isEqualTo("http");
        });
        assertThat(defaults.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off");

        Ingress production = render(PRODUCTION).get(Ingress.class, "sage-studio-gateway");
        assertThat(production.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(production.getSpec().getRules().get(0).getHost()).isEqualTo("studio.example.com");
        assertThat(production.getSpec().getTls()).singleElement().satisfies(tls -> {
            assertThat(tls.getHosts()).containsExactly("studio.example.com");
            assertThat(tls.getSecretName()).isEqualTo("studio-example-com-tls");
        });
        assertThat(render(Map.of("ingress.enabled", "false")).all(Ingress.class))
                .isEmpty();
    }

    @Test
    void kafkaOverTlsWithScramTakesItsSecretsByReference() {
        Install install = render(PRODUCTION);
        Properties props = install.properties("sage-studio-finetune");
        assertThat(props.getProperty("kafka.bootstrap.servers")).isEqualTo("prod-kafka-bootstrap.kafka.svc:9093");
        assertThat(props.getProperty("kafka.security.protocol")).isEqualTo("SASL_SSL");
        assertThat(props.getProperty("kafka.sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(props.getProperty("kafka.ssl.truststore.type")).isEqualTo("PEM");
        assertThat(props.getProperty("kafka.ssl.truststore.location")).isEqualTo("/etc/sage-studio/kafka/ca/ca.crt");
        assertThat(props.getProperty("studio.kafka.create-topics")).isEqualTo("false");
        assertThat(String.valueOf(props)).doesNotContain("password=");

        for (PodTemplateSpec pod : install.podTemplates()) {
            Container container = container(pod);
            assertThat(volume(pod, "kafka-ca").getSecret().getSecretName()).isEqualTo("prod-cluster-ca-cert");
            assertThat(mount(container, "kafka-ca").getMountPath()).isEqualTo("/etc/sage-studio/kafka/ca");
            List<String> names =
                    container.getEnv().stream().map(EnvVar::getName).toList();
            EnvVar password = env(container, "STUDIO_KAFKA_SASL_PASSWORD").orElseThrow();
            assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sage-studio");
            assertThat(password.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
            EnvVar jaas = env(container, "KAFKA_SASL_JAAS_CONFIG").orElseThrow();
            assertThat(jaas.getValue())
                    .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required "
                            + "username=\"sage-studio\" password=\"$(STUDIO_KAFKA_SASL_PASSWORD)\";");
            assertThat(names.indexOf("STUDIO_KAFKA_SASL_PASSWORD"))
                    .as("$(VAR) expands only variables defined earlier")
                    .isLessThan(names.indexOf("KAFKA_SASL_JAAS_CONFIG"));
            assertThat(pod.getSpec().getImagePullSecrets())
                    .extracting(r -> r.getName())
                    .containsExactly("registry-credentials");
        }
    }

    @Test
    void strimziMutualTlsUsesTheUsersKeystore() {
        Install install = render(Map.of(
                "kafka.tls.enabled",
                "true",
                "kafka.tls.caSecret.name",
                "my-cluster-cluster-ca-cert",
                "kafka.tls.clientCertSecret.name",
                "sage-studio-user"));
        Properties props = install.properties("sage-studio-gateway");
        assertThat(props.getProperty("kafka.security.protocol")).isEqualTo("SSL");
        assertThat(props.getProperty("kafka.ssl.keystore.type")).isEqualTo("PKCS12");
        assertThat(props.getProperty("kafka.ssl.keystore.location"))
                .isEqualTo("/etc/sage-studio/kafka/client/user.p12");
        Container gateway = container(install.pod("sage-studio-gateway"));
        assertThat(env(gateway, "KAFKA_SSL_KEYSTORE_PASSWORD")
                        .orElseThrow()
                        .getValueFrom()
                        .getSecretKeyRef())
                .satisfies(ref -> {
                    assertThat(ref.getName()).isEqualTo("sage-studio-user");
                    assertThat(ref.getKey()).isEqualTo("user.password");
                });
    }

    @Test
    void otelEndpointTurnsTracingOnInEveryServiceAndIsOffByDefault() {
        Install off = render();
        for (PodTemplateSpec pod : off.podTemplates()) {
            Properties props =
                    off.properties(volume(pod, "config").getConfigMap().getName());
            assertThat(props.getProperty("quarkus.otel.exporter.otlp.endpoint")).isNull();
        }
        Install install = render(Map.of("otel.endpoint", "http://otel-collector.observability:4318"));
        List<PodTemplateSpec> pods = install.podTemplates();
        assertThat(pods).hasSizeGreaterThanOrEqualTo(4);
        for (PodTemplateSpec pod : pods) {
            Properties props =
                    install.properties(volume(pod, "config").getConfigMap().getName());
            assertThat(props.getProperty("quarkus.otel.exporter.otlp.endpoint"))
                    .isEqualTo("http://otel-collector.observability:4318");
            assertThat(props.getProperty("quarkus.otel.exporter.otlp.protocol")).isEqualTo("http/protobuf");
        }
    }

    @Test
    void trackerSettingsReachTheFinetuneServiceAndItsSecretsOnlyByName() {
        assertThat(render().properties("sage-studio-finetune").stringPropertyNames())
                .noneMatch(key -> key.startsWith("studio.finetune.trackers."));

        Install install = render(Map.of(
                "trackers.mlflow.trackingUri", "http://mlflow.mlops:5000",
                "trackers.mlflow.experimentName", "team-a",
                "trackers.mlflow.secretName", "mlflow-auth",
                "trackers.wandb.baseUrl", "https://wandb.example.com",
                "trackers.wandb.project", "sage-runs",
                "trackers.wandb.secretName", "wandb-auth",
                "trackers.wandb.secretKey", "api-key"));
        Properties props = install.properties("sage-studio-finetune");
        assertThat(props.getProperty("studio.finetune.trackers.mlflow.tracking-uri"))
                .isEqualTo("http://mlflow.mlops:5000");
        assertThat(props.getProperty("studio.finetune.trackers.mlflow.experiment-name"))
                .isEqualTo("team-a");
        assertThat(props.getProperty("studio.finetune.trackers.mlflow.token-secret-name"))
                .isEqualTo("mlflow-auth");
        assertThat(props.getProperty("studio.finetune.trackers.mlflow.token-secret-key"))
                .isEqualTo("MLFLOW_TRACKING_TOKEN");
        assertThat(props.getProperty("studio.finetune.trackers.wandb.base-url")).isEqualTo("https://wandb.example.com");
        assertThat(props.getProperty("studio.finetune.trackers.wandb.project")).isEqualTo("sage-runs");
        assertThat(props.getProperty("studio.finetune.trackers.wandb.api-key-secret-name"))
                .isEqualTo("wandb-auth");
        assertThat(props.getProperty("studio.finetune.trackers.wandb.api-key-secret-key"))
                .isEqualTo("api-key");
        // the Secrets are the trainer pods' (the finetune-service writes the references into them): no studio pod
        // reads or mounts them, and no other service is told about them
        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(pod.getSpec().getVolumes())
                    .noneMatch(v -> v.getSecret() != null
                            && List.of("mlflow-auth", "wandb-auth")
                                    .contains(v.getSecret().getSecretName()));
            for (Container container : pod.getSpec().getContainers()) {
                assertThat(container.getEnv())
                        .noneMatch(e -> e.getValueFrom() != null
                                && e.getValueFrom().getSecretKeyRef() != null
                                && List.of("mlflow-auth", "wandb-auth")
                                        .contains(e.getValueFrom()
                                                .getSecretKeyRef()
                                                .getName()));
            }
            Properties other =
                    install.properties(volume(pod, "config").getConfigMap().getName());
            if (!other.containsKey("studio.finetune.executor")) {
                assertThat(other.stringPropertyNames()).noneMatch(key -> key.startsWith("studio.finetune.trackers."));
            }
        }
        // a ConfigMap is no place for credentials, and a W&B server is an http(s) URL
        assertThatThrownBy(() -> render(Map.of("trackers.mlflow.trackingUri", "http://user:pw@mlflow:5000")))
                .hasMessageContaining("trackingUri");
        assertThatThrownBy(() -> render(Map.of("trackers.wandb.baseUrl", "wandb.example.com")))
                .hasMessageContaining("baseUrl");
    }

    @Test
    void tokenAuthMountsTheTokensSecretInEveryService() {
        Install install = render(PRODUCTION);
        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(volume(pod, "auth-tokens").getSecret().getSecretName()).isEqualTo("studio-tokens");
            assertThat(volume(pod, "openai-api-keys").getSecret().getSecretName())
                    .isEqualTo("studio-openai-keys");
            assertThat(mount(container(pod), "auth-tokens").getReadOnly()).isTrue();
            Properties props =
                    install.properties(volume(pod, "config").getConfigMap().getName());
            assertThat(props.getProperty("studio.auth.mode")).isEqualTo("token");
            assertThat(props.getProperty("studio.auth.tokens-file"))
                    .isEqualTo("/etc/sage-studio/auth/tokens/tokens.json");
            assertThat(props.getProperty("studio.auth.openai-api-keys-file"))
                    .isEqualTo("/etc/sage-studio/auth/openai/api-keys.json");
            assertThat(props.getProperty("studio.auth.service-token-file"))
                    .isEqualTo("/etc/sage-studio/auth/service/token");
            assertThat(volume(pod, "auth-service").getSecret().getSecretName()).isEqualTo("studio-tokens");
            assertThat(volume(pod, "auth-service").getSecret().getItems())
                    .singleElement()
                    .satisfies(item -> assertThat(item.getKey()).isEqualTo("service-token"));
            assertThat(mount(container(pod), "auth-service").getMountPath()).isEqualTo("/etc/sage-studio/auth/service");
        }
        assertThat(volume(render().pod("sage-studio-gateway"), "auth-tokens")
                        .getSecret()
                        .getSecretName())
                .isEqualTo("sage-studio-auth-tokens");
    }

    @Test
    void oidcAuthConfiguresQuarkusOidcAndMountsNoTokens() {
        Install install = render(Map.of(
                "auth.mode",
                "oidc",
                "auth.oidc.authServerUrl",
                "https://keycloak.example.com/realms/sage",
                "auth.oidc.clientId",
                "sage-studio",
                "auth.oidc.rolesClaim",
                "realm_access/roles",
                "auth.oidc.rolePrefix",
                "studio-"));
        Properties props = install.properties("sage-studio-chat-switch");
        assertThat(props.getProperty("studio.auth.mode")).isEqualTo("oidc");
        assertThat(props.getProperty("quarkus.oidc.tenant-enabled")).isEqualTo("true");
        assertThat(props.getProperty("quarkus.oidc.auth-server-url"))
                .isEqualTo("https://keycloak.example.com/realms/sage");
        assertThat(props.getProperty("quarkus.oidc.client-id")).isEqualTo("sage-studio");
        assertThat(props.getProperty("quarkus.oidc.roles.role-claim-path")).isEqualTo("realm_access/roles");
        assertThat(props.getProperty("studio.auth.oidc.role-prefix")).isEqualTo("studio-");
        assertThat(props).doesNotContainKey("studio.auth.tokens-file");
        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getName().equals("auth-tokens"));
            assertThat(volume(pod, "auth-service").getSecret().getSecretName()).isEqualTo("sage-studio-auth-tokens");
        }
        assertThat(props.getProperty("studio.auth.service-token-file"))
                .isEqualTo("/etc/sage-studio/auth/service/token");
    }

    @Test
    void cloudRuntimeNeedsABaseUrlAndPassesTheKeyByReference() {
        assertThatThrownBy(() -> render(Map.of("chatSwitch.runtime", "none")))
                .hasMessageContaining("chatSwitch.cloud.baseUrl is required when chatSwitch.runtime is none");

        Install install = render(Map.of(
                "chatSwitch.runtime",
                "none",
                "chatSwitch.cloud.baseUrl",
                "https://api.openai.com/v1",
                "chatSwitch.cloud.model",
                "gpt-4o-mini",
                "chatSwitch.cloud.apiKeySecret.name",
                "openai"));
        Properties props = install.properties("sage-studio-chat-switch");
        assertThat(props.getProperty("studio.chat.runtime")).isEqualTo("none");
        assertThat(props.getProperty("studio.chat.cloud.base-url")).isEqualTo("https://api.openai.com/v1");
        // The gateway follows cloud routes only to the configured API.
        assertThat(install.properties("sage-studio-gateway").getProperty("studio.chat.cloud.base-url"))
                .isEqualTo("https://api.openai.com/v1");
        for (String workload : List.of("sage-studio-chat-switch", "sage-studio-gateway")) {
            EnvVar key = env(container(install.pod(workload)), "STUDIO_CHAT_CLOUD_API_KEY")
                    .orElseThrow();
            assertThat(key.getValue()).isNull();
            assertThat(key.getValueFrom().getSecretKeyRef().getName()).isEqualTo("openai");
        }
    }

    @Test
    void valuesThatDependOnEachOtherFailWithAMessageNamingTheMissingValue() {
        assertThatThrownBy(() -> render(Map.of("kafka.tls.enabled", "true")))
                .hasMessageContaining("kafka.tls.caSecret.name is required");
        assertThatThrownBy(() -> render(Map.of("kafka.sasl.enabled", "true", "kafka.sasl.username", "u")))
                .hasMessageContaining("kafka.sasl.passwordSecret.name is required");
        assertThatThrownBy(() -> render(Map.of("auth.mode", "oidc")))
                .hasMessageContaining("auth.oidc.authServerUrl is required");
        assertThatThrownBy(() -> render(Map.of("ingress.tls.enabled", "true", "ingress.host", "studio.example.com")))
                .hasMessageContaining("ingress.tls.secretName is required");
    }

    @Test
    void theValuesSchemaRejectsWrongTypesUnknownKeysAndFloatingTags() {
        assertThatThrownBy(() -> render(Map.of("gateway.replicas", "two"))).hasMessageContaining("/gateway/replicas");
        assertThatThrownBy(() -> render(Map.of("finetune.trainer.gpu.count", "-1")))
                .hasMessageContaining("/finetune/trainer/gpu/count");
        assertThatThrownBy(() -> render(Map.of("finetune.trainer.gpus", "2"))).hasMessageContaining("gpus");
        assertThatThrownBy(() -> render(Map.of("image.tag", "latest"))).hasMessageContaining("/image/tag");
        assertThatThrownBy(() -> render(Map.of("auth.mode", "basic"))).hasMessageContaining("/auth/mode");
        assertThatThrownBy(() -> render(Map.of("kafka.bootstrapServers", "no-port")))
                .hasMessageContaining("/kafka/bootstrapServers");
        assertThatThrownBy(() -> render(Map.of("chatSwitch.vllm.tolerations[0].key", "nvidia.com/gpu")))
                .hasMessageContaining("effect");
    }

    @Test
    void theHuggingFaceTokenSecretCacheAndOfflineModeReachTheServicesThatStartTrainersAndEngines() {
        Properties defaults = render().properties("sage-studio-finetune");
        assertThat(defaults.getProperty("studio.models.hf-home")).isEqualTo("hf-cache");
        assertThat(defaults.getProperty("studio.models.offline")).isEqualTo("false");
        assertThat(defaults).doesNotContainKey("studio.models.hf-token-secret.name");

        Install install = render(Map.of(
                "huggingface.tokenSecret.name",
                "hf-token",
                "huggingface.tokenSecret.key",
                "token",
                "huggingface.offline",
                "true"));
        for (String service : List.of("sage-studio-finetune", "sage-studio-chat-switch")) {
            Properties props = install.properties(service);
            assertThat(props.getProperty("studio.models.hf-token-secret.name")).isEqualTo("hf-token");
            assertThat(props.getProperty("studio.models.hf-token-secret.key")).isEqualTo("token");
            assertThat(props.getProperty("studio.models.offline")).isEqualTo("true");
            assertThat(props.getProperty("studio.models.hf-home")).isEqualTo("hf-cache");
        }
        // the services themselves never hold the token: it reaches trainer and engine pods by reference only
        for (PodTemplateSpec pod : install.podTemplates()) {
            assertThat(container(pod).getEnv()).extracting(EnvVar::getName).doesNotContain("HF_TOKEN");
            assertThat(pod.getSpec().getVolumes())
                    .noneMatch(v -> v.getSecret() != null
                            && "hf-token".equals(v.getSecret().getSecretName()));
        }
        assertThatThrownBy(() -> render(Map.of("huggingface.tokenSecret.name", "Not_A_Name")))
                .hasMessageContaining("/huggingface/tokenSecret/name");
    }

    @Test
    void gatewayDisruptionBudgetFollowsItsReplicas() {
        assertThat(render(PRODUCTION)
                        .get(PodDisruptionBudget.class, "sage-studio-gateway")
                        .getSpec()
                        .getMinAvailable()
                        .getIntVal())
                .isEqualTo(1);
        assertThat(render(Map.of("gateway.replicas", "1")).all(PodDisruptionBudget.class))
                .isEmpty();
    }

    private static VolumeMount mount(Container container, String volume) {
        return container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(volume))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no mount of " + volume + " in " + container.getName()));
    }
}
