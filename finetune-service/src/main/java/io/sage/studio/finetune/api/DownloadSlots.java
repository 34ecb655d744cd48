package io.sage.studio.finetune.api;

import java.util.concurrent.Semaphore;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.config.FinetuneConfig;

/**
 * Bounds the model downloads streamed at once ({@code studio.finetune.max-concurrent-downloads}): each holds a
 * worker thread while the client reads, so without a bound a few slow clients starve every other blocking
 * endpoint. One more is refused at once with 503 {@code too_many_downloads} and a {@code Retry-After}.
 */
@ApplicationScoped
public class DownloadSlots {

    static final int RETRY_AFTER_SECONDS = 10;

    private final int max;
    private final Semaphore slots;

    public DownloadSlots(FinetuneConfig config) {
        this.max = config.maxConcurrentDownloads();
        this.slots = new Semaphore(max);
    }

    /** Takes a slot if one is free; the caller must {@link #release()} it when the download ends, however it ends. */
    boolean tryAcquire() {
        return slots.tryAcquire();
    }

    /** The answer when no slot is free: 503 {@code too_many_downloads} with {@code Retry-After}. */
    Response refusal() {
        return Response.status(HttpStatuses.of(FinetuneError.TOO_MANY_DOWNLOADS.kind()))
                .type(MediaType.APPLICATION_JSON_TYPE)
                .header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS))
                .entity(ErrorBody.of(
                        FinetuneError.TOO_MANY_DOWNLOADS.code(),
                        max + " model download(s) are being streamed, the most at "
                                + "once (studio.finetune.max-concurrent-downloads); try again in " + RETRY_AFTER_SECONDS
                                + " s"))
                .build();
    }

    void release() {
        slots.release();
    }
}
