package io.sage.studio.chat.registry;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.Fallback;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.common.error.StudioException;

/**
 * The finetune-service as this service sees it: tasks and the model registry, with timeouts, retries and a
 * clear error when the service cannot be reached. A missing task is an empty result, not an error.
 */
@ApplicationScoped
public class FinetuneClient {

    private final FinetuneRestClient client;

    public FinetuneClient(@RestClient FinetuneRestClient client) {
        this.client = client;
    }

    /** The task, or empty when the finetune-service does not know it; {@code finetune_unavailable} when unreachable. */
    @Timeout(5000)
    @Retry(maxRetries = 2, delay = 200, abortOn = StudioException.class)
    @Fallback(fallbackMethod = "taskUnavailable", skipOn = StudioException.class)
    public Optional<TaskView> task(String taskId) {
        try {
            return Optional.of(client.task(taskId));
        } catch (FinetuneRestClient.Refused e) {
            int status = e.status();
            if (status == 404) {
                return Optional.empty();
            }
            if (status < 500) {
                throw new StudioException(
                        ChatSwitchError.FINETUNE_ERROR,
                        "the finetune-service refused task " + taskId + ": HTTP " + status);
            }
            throw e;
        }
    }

    /**
     * One evaluation of a task (its verdict and the reason), or empty when the finetune-service does not know it or
     * cannot be reached: the gate then names the evaluation without its reason.
     */
    @Timeout(5000)
    @Fallback(fallbackMethod = "evaluationUnavailable")
    public Optional<EvaluationView> evaluation(String taskId, String evaluationId) {
        return Optional.of(client.evaluation(taskId, evaluationId));
    }

    Optional<EvaluationView> evaluationUnavailable(String taskId, String evaluationId) {
        return Optional.empty();
    }

    /** The registry (base and fine-tuned models), or empty when the finetune-service cannot be reached. */
    @Timeout(5000)
    @Retry(maxRetries = 2, delay = 200)
    @Fallback(fallbackMethod = "modelsUnavailable")
    public Optional<List<ModelView>> models() {
        return Optional.of(List.copyOf(client.models()));
    }

    Optional<TaskView> taskUnavailable(String taskId) {
        throw new StudioException(
                ChatSwitchError.FINETUNE_UNAVAILABLE,
                "the finetune-service cannot be reached to look up task " + taskId + "; try again shortly");
    }

    Optional<List<ModelView>> modelsUnavailable() {
        return Optional.empty();
    }
}
