package io.sage.studio.common.audit;

import java.util.List;

import jakarta.ws.rs.container.ContainerResponseContext;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The target of a create, which only its answer knows (the new task's {@code task_id}, a webhook's {@code id}, the
 * model a switch serves): a REST response filter reads the field {@link AuditActions} names from the answer's JSON
 * and leaves it for {@link AuditFilter}. Only audited calls whose action names such a field pay for it.
 */
public class AuditTargets {

    private static final int MAX_TARGET = 256;

    private final CurrentVertxRequest current;
    private final ObjectMapper json;

    public AuditTargets(CurrentVertxRequest current, ObjectMapper json) {
        this.current = current;
        this.json = json;
    }

    @ServerResponseFilter
    public void target(ContainerResponseContext response) {
        RoutingContext request = current.getCurrent();
        if (request == null || response.getEntity() == null || response.getStatus() >= 400) {
            return;
        }
        List<String> fields = AuditFilter.targetFields(request);
        if (fields.isEmpty()) {
            return;
        }
        JsonNode answer;
        try {
            answer = json.valueToTree(response.getEntity());
        } catch (IllegalArgumentException e) {
            // Not a JSON object (a file, a stream): the target stays the one the path names, if any.
            return;
        }
        for (String field : fields) {
            JsonNode value = answer.get(field);
            if (value != null && value.isValueNode() && !value.isNull()) {
                String text = value.asText();
                request.put(AuditFilter.TARGET, text.length() > MAX_TARGET ? text.substring(0, MAX_TARGET) : text);
                return;
            }
        }
    }
}
