package io.sage.studio.finetune.api;

import java.io.IOException;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.sage.studio.common.error.ApiExceptionMappers;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.storage.StorageErrors;

/**
 * A write that failed because the studio home is full, wherever it happened (the multipart upload spooled to
 * {@code studio/uploads/} before any resource runs, or a service call): 507 {@code insufficient_storage} in the
 * studio shape ({@link StorageErrors}). Any other I/O failure is an unexpected 500, logged with a reference like every other.
 */
public class StorageErrorMapper {

    private final ApiExceptionMappers fallback = new ApiExceptionMappers();

    @ServerExceptionMapper
    public Response storage(IOException e) {
        if (!StorageErrors.isFull(e)) {
            return fallback.unexpected(e);
        }
        StudioException full = StorageErrors.of(e, "the request's data", "nothing was stored");
        return Response.status(HttpStatuses.of(full))
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(full.code(), full.getMessage()))
                .build();
    }
}
