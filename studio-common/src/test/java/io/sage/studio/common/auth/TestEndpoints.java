package io.sage.studio.common.auth;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestStreamElementType;

import io.sage.studio.common.error.ApiException;
import io.sage.studio.common.home.StudioHome;
import io.smallrye.mutiny.Multi;
import io.vertx.ext.web.Router;

/**
 * Stand-ins for one endpoint of every class the real services have (read, stream, upload, create, cancel and
 * delete own tasks, switch the model with a path, settings, the memory estimate, the OpenAI-compatible API as
 * plain Vert.x routes, the web UI). They do what the real ones do with the caller: record the owner, check it.
 */
public class TestEndpoints {

    /** An in-memory task list with owners. */
    @ApplicationScoped
    public static class Tasks {

        private final Map<String, String> owners = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();

        String create(String owner) {
            String id = "task-" + ids.incrementAndGet();
            owners.put(id, owner);
            return id;
        }

        String owner(String id) {
            String owner = owners.get(id);
            if (owner == null) {
                throw ApiException.notFound("task_not_found", "no task " + id);
            }
            return owner;
        }

        void delete(String id) {
            owners.remove(id);
        }

        Map<String, String> all() {
            return Map.copyOf(owners);
        }
    }

    @Path("/api/finetune")
    @Produces(MediaType.APPLICATION_JSON)
    public static class Finetune {

        private final Tasks tasks;
        private final StudioPrincipal principal;
        private final StudioHome home;

        public Finetune(Tasks tasks, StudioPrincipal principal, StudioHome home) {
            this.tasks = tasks;
            this.principal = principal;
            this.home = home;
        }

        @GET
        @Path("/tasks")
        public Map<String, String> list() {
            return tasks.all();
        }

        @GET
        @Path("/tasks/stream")
        @Produces(MediaType.SERVER_SENT_EVENTS)
        @RestStreamElementType(MediaType.TEXT_PLAIN)
        public Multi<String> stream() {
            return Multi.createFrom().items("task-1", "task-2");
        }

        /** A followed log: ticks until the client goes away. */
        @GET
        @Path("/tasks/{id}/logs")
        @Produces(MediaType.SERVER_SENT_EVENTS)
        @RestStreamElementType(MediaType.TEXT_PLAIN)
        public Multi<String> follow(@PathParam("id") String id) {
            return Multi.createFrom().ticks().every(Duration.ofMillis(50)).map(tick -> id + " line " + tick);
        }

        @POST
        @Path("/upload-dataset")
        public Map<String, String> upload() {
            return Map.of("uploaded_by", principal.name());
        }

        @POST
        @Path("/create")
        public Response create() {
            String id = tasks.create(principal.name());
            return Response.status(201)
                    .entity(Map.of("task_id", id, "owner", principal.name()))
                    .build();
        }

        @POST
        @Path("/tasks/{id}/cancel")
        public Map<String, String> cancel(@PathParam("id") String id) {
            principal.requireOwnerOrAdmin(tasks.owner(id), "task " + id);
            return Map.of("task_id", id, "status", "cancelled");
        }

        @DELETE
        @Path("/tasks/{id}")
        public Response delete(@PathParam("id") String id) {
            principal.requireOwnerOrAdmin(tasks.owner(id), "task " + id);
            tasks.delete(id);
            return Response.noContent().build();
        }

        @POST
        @Path("/switch-model")
        public Map<String, String> switchModel(@QueryParam("model_path") String modelPath) {
            return Map.of(
                    "current_model", home.resolveInside(modelPath, "model_path").toString());
        }
    }

    @Path("/api/system/memory-estimate")
    public static class MemoryEstimate {

        @POST
        @Produces(MediaType.APPLICATION_JSON)
        public Map<String, Long> estimate() {
            return Map.of("expected_bytes", 1L << 30);
        }
    }

    @Path("/api/settings")
    public static class Settings {

        @PUT
        @Produces(MediaType.APPLICATION_JSON)
        public Map<String, Boolean> update() {
            return Map.of("saved", true);
        }
    }

    /** The gateway's OpenAI-compatible API and web UI, as plain Vert.x routes. */
    @ApplicationScoped
    public static class GatewayRoutes {

        void routes(@Observes Router router) {
            router.get("/v1/models").handler(ctx -> ctx.json(Map.of("data", List.of(Map.of("id", "sage-chat")))));
            router.post("/v1/chat/completions").handler(ctx -> ctx.json(Map.of("object", "chat.completion")));
            router.get("/")
                    .handler(ctx -> ctx.response()
                            .putHeader("Content-Type", "text/html")
                            .end("<html></html>"));
        }
    }
}
