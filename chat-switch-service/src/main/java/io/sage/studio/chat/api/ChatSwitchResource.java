package io.sage.studio.chat.api;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.switching.ChatLifecycle;
import io.sage.studio.chat.switching.ChatOverview;
import io.sage.studio.chat.switching.SwitchOperation;
import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.common.error.StudioException;

/** Switch operations and engines: {@code /api/chat/*}. */
@Path("/api/chat")
@Produces(MediaType.APPLICATION_JSON)
public class ChatSwitchResource {

    private final SwitchService switches;
    private final ChatOverview overview;
    private final ChatLifecycle lifecycle;

    public ChatSwitchResource(SwitchService switches, ChatOverview overview, ChatLifecycle lifecycle) {
        this.switches = switches;
        this.overview = overview;
        this.lifecycle = lifecycle;
    }

    /** Starts a switch; 202 with the operation, 409 {@code switch_in_progress} while another runs. */
    @POST
    @Path("/switch")
    @Consumes(MediaType.APPLICATION_JSON)
    @APIResponse(
            responseCode = "202",
            description = "the switch started",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = SwitchOperation.class)))
    public Response switchModel(SwitchRequest request) {
        if (request == null) {
            throw new StudioException(ChatSwitchError.MISSING_BODY, "send {\"model\": ...} or {\"task_id\": ...}");
        }
        SwitchOperation op = switches.request(
                request.model(),
                request.taskId(),
                request.strategy(),
                "api",
                request.requireEvaluation(),
                request.force(),
                request.tensorParallelSize());
        return Response.accepted(op).build();
    }

    @GET
    @Path("/switch/{id}")
    public SwitchOperation operation(@PathParam("id") String id) {
        return switches.find(id)
                .orElseThrow(
                        () -> new StudioException(ChatSwitchError.OPERATION_NOT_FOUND, "no switch operation " + id));
    }

    /** The latest switch operations, newest first. */
    @GET
    @Path("/switch")
    public List<SwitchOperation> operations(@QueryParam("limit") @DefaultValue("20") int limit) {
        if (limit < 1 || limit > 200) {
            throw StudioException.invalidField("limit", "limit must be between 1 and 200");
        }
        return switches.recent(limit);
    }

    @GET
    @Path("/backends")
    public List<ChatOverview.BackendView> backends() {
        return overview.backends();
    }

    /** Stops every engine and routes chat to nothing (the launcher's {@code sage studio stop}); 409 during a switch. */
    @POST
    @Path("/stop")
    public Map<String, List<String>> stop() {
        List<String> stopped = switches.exclusively("stop", () -> lifecycle.stopEngines(null));
        return Map.of("stopped", stopped);
    }
}
