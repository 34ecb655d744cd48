package io.sage.studio.finetune.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.configuration.MemorySize;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.events.CloudEvents;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

/**
 * Refuses an upload whose declared length is over the dataset limit before any of it is read: 413 in the
 * studio error shape (a body without a length is cut off by {@code quarkus.http.limits.max-body-size}; one
 * just over the limit is refused after upload by the size check of the dataset service).
 */
@ApplicationScoped
public class UploadSizeGuard {

    /** Room for the multipart framing around the file. */
    static final long MULTIPART_OVERHEAD = 1024 * 1024;

    private static final Logger LOG = Logger.getLogger(UploadSizeGuard.class);

    private final long maxBytes;
    private final long maxBodyBytes;

    public UploadSizeGuard(
            FinetuneConfig config, @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
        this.maxBytes = config.dataset().maxBytes();
        this.maxBodyBytes = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        if (maxBodyBytes < maxBytes + MULTIPART_OVERHEAD) {
            LOG.warnf(
                    "quarkus.http.limits.max-body-size (%d bytes) is below studio.finetune.dataset.max-bytes (%d) "
                            + "plus multipart framing; raise it or large datasets are cut off",
                    maxBodyBytes, maxBytes);
        }
        router.route(HttpMethod.POST, "/api/finetune/upload-dataset")
                .order(Integer.MIN_VALUE)
                .handler(ctx -> {
                    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
                    if (length != null && parse(length) > maxBytes + MULTIPART_OVERHEAD) {
                        ctx.response()
                                .setStatusCode(HttpStatuses.of(FinetuneError.DATASET_TOO_LARGE.kind()))
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .putHeader(HttpHeaders.CONNECTION, "close")
                                .end(body(length));
                        return;
                    }
                    ctx.next();
                });
    }

    private Buffer body(String length) {
        return Buffer.buffer(CloudEvents.encode(ErrorBody.of(
                FinetuneError.DATASET_TOO_LARGE.code(),
                "the upload has " + length + " bytes; the dataset limit is " + maxBytes
                        + " bytes (studio.finetune.dataset.max-bytes)")));
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
