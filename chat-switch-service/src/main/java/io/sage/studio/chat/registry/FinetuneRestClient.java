package io.sage.studio.chat.registry;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.quarkus.rest.client.reactive.ClientExceptionMapper;
import io.sage.studio.common.auth.StudioClientHeaders;

/** The finetune-service's task and model registry API ({@code studio.services.finetune-url}), with the caller's or the service's token. */
@RegisterRestClient(configKey = "finetune")
@RegisterClientHeaders(StudioClientHeaders.class)
@Path("/api/finetune")
interface FinetuneRestClient {

    @GET
    @Path("/tasks/{id}")
    TaskView task(@PathParam("id") String id);

    @GET
    @Path("/tasks/{id}/evaluations/{eid}")
    EvaluationView evaluation(@PathParam("id") String id, @PathParam("eid") String evaluationId);

    @GET
    @Path("/models")
    List<ModelView> models();

    /** Every error status as a {@link Refused}, so that {@link FinetuneClient} decides without JAX-RS types. */
    @ClientExceptionMapper
    static RuntimeException refused(Response response) {
        return new Refused(response.getStatus());
    }

    /** The finetune-service answered with an error status. */
    final class Refused extends RuntimeException {

        private final int status;

        Refused(int status) {
            super("HTTP " + status, null, false, false);
            this.status = status;
        }

        int status() {
            return status;
        }
    }
}
