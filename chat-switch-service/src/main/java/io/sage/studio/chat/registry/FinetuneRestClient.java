package io.sage.studio.chat.registry;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The finetune-service's task and model registry API ({@code studio.services.finetune-url}). */
@RegisterRestClient(configKey = "finetune")
@Path("/api/finetune")
interface FinetuneRestClient {

    @GET
    @Path("/tasks/{id}")
    TaskView task(@PathParam("id") String id);

    @GET
    @Path("/models")
    List<ModelView> models();
}
