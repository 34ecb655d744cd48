package io.sage.studio.chat.registry;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

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
    @Path("/models")
    List<ModelView> models();
}
