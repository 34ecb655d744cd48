package io.sage.studio.common.auth;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;

import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** A service calling another one (here: the test app itself), the way the services' REST clients are declared. */
@RegisterRestClient(configKey = "self")
@RegisterClientHeaders(StudioClientHeaders.class)
@Path("/api/finetune")
public interface SelfClient {

    @GET
    @Path("/tasks")
    Map<String, String> tasks();

    @POST
    @Path("/create")
    Map<String, String> create();
}
