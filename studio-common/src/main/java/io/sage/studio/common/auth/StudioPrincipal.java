package io.sage.studio.common.auth;

import jakarta.enterprise.context.RequestScoped;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.StudioException;

/**
 * The caller of the current request, for the few decisions the path alone cannot make: who owns a new task, and
 * whether the caller may cancel or delete an existing one. Inject it into a resource or service bean; it is only
 * meaningful while a request that {@link AuthFilter} let through is being served.
 */
@RequestScoped
public class StudioPrincipal {

    private final CurrentVertxRequest request;

    public StudioPrincipal(CurrentVertxRequest request) {
        this.request = request;
    }

    /** The caller; {@code missing_token} (401) when the request came in on an open path (no caller was established). */
    public Caller caller() {
        Caller caller =
                request.getCurrent() == null ? null : request.getCurrent().get(AuthFilter.CALLER);
        if (caller == null) {
            throw new StudioException(CommonError.MISSING_TOKEN, "this endpoint needs a bearer token");
        }
        return caller;
    }

    /** The caller's name: the owner to record on what it creates. */
    public String name() {
        return caller().name();
    }

    public StudioRole role() {
        return caller().role();
    }

    /** Whether the caller may change something owned by {@code owner} (an admin may change anything). */
    public boolean mayModify(String owner) {
        Caller caller = caller();
        return caller.role().includes(StudioRole.ADMIN) || caller.name().equals(owner);
    }

    /** Throws {@code not_owner} (403) unless {@link #mayModify}; {@code what} names the object in the message. */
    public void requireOwnerOrAdmin(String owner, String what) {
        if (!mayModify(owner)) {
            throw new StudioException(
                    CommonError.NOT_OWNER,
                    "'" + name() + "' may not change " + what + ": it belongs to "
                            + (owner == null ? "nobody (only an admin may)" : "'" + owner + "'"));
        }
    }
}
