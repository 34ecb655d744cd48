package io.sage.studio.finetune.api;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.sage.studio.finetune.domain.Model;
import io.sage.studio.finetune.registry.ModelRegistry;

/** The model registry: base catalogue plus fine-tuned artifacts. */
@Path("/api/finetune/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final ModelRegistry registry;

    public ModelResource(ModelRegistry registry) {
        this.registry = registry;
    }

    @GET
    public List<Model> all() {
        return registry.all();
    }

    @GET
    @Path("/base")
    public List<Model> base() {
        return registry.base();
    }
}
