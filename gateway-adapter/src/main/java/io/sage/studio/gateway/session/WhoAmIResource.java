package io.sage.studio.gateway.session;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.sage.studio.common.auth.Caller;
import io.sage.studio.common.auth.StudioPrincipal;

/**
 * {@code GET /api/whoami}: who the gateway's authentication took the caller for and with which role, so that the web
 * UI can show the pages a role may use (webhooks and audit for an admin) without probing an endpoint that refuses
 * the others. A read under {@code /api}: any studio role may ask (the shared default, a viewer); without credentials
 * in mode {@code token} or {@code oidc} it is the usual 401. Only what the caller already holds is answered: its
 * name and role, never a token. The services enforce the role on every call whatever the UI makes of this.
 */
@Path("/api/whoami")
public class WhoAmIResource {

    /**
     * The caller.
     *
     * @param actor the name the audit log records: the token's name, the OIDC principal or {@code local} (mode
     *              {@code none})
     * @param role  {@code viewer}, {@code trainer} or {@code admin}
     */
    public record WhoAmI(
            @Schema(required = true) String actor,

            @Schema(
                    required = true,
                    enumeration = {"viewer", "trainer", "admin"})
            String role) {}

    private final StudioPrincipal principal;

    public WhoAmIResource(StudioPrincipal principal) {
        this.principal = principal;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public WhoAmI whoami() {
        Caller caller = principal.caller();
        return new WhoAmI(caller.name(), caller.role().id());
    }
}
