package io.sage.studio.common.error;

import java.util.UUID;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * Maps every exception that reaches a REST resource to {@link ErrorBody} with the right status: a
 * {@link StudioException} by its {@link ErrorKind} ({@link HttpStatuses}), an {@link ApiException} by its explicit
 * status, framework and JSON errors by theirs. A service may add its own, more specific mappers.
 */
public class ApiExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMappers.class);

    @ServerExceptionMapper
    public Response studio(StudioException e) {
        return respond(HttpStatuses.of(e), ErrorBody.of(e.code(), e.getMessage(), e.details()));
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return respond(400, ErrorBody.of(CommonError.INVALID_JSON.code(), describe(e)));
    }

    /**
     * A value of the wrong JSON type ({@code "batch_size": "many"}). Quarkus REST has a built-in mapper for this
     * exact type (priority 5100) that would answer outside the studio shape; this one (5000) wins.
     */
    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return json(e);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof StudioException studio) {
            // a parameter that did not convert (StrictParams): the framework only passes WebApplicationExceptions
            return studio(studio);
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e);
        }
        String code = switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            default -> "http_" + status;
        };
        Throwable cause = e.getCause();
        String message = cause instanceof JsonProcessingException json ? describe(json) : e.getMessage();
        if (cause instanceof JsonProcessingException) {
            code = "invalid_json";
        }
        return respond(status, ErrorBody.of(code, message));
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected error %s", id);
        return respond(
                500, ErrorBody.of(CommonError.INTERNAL.code(), "unexpected server error (reference " + id + ")"));
    }

    private static Response respond(int status, ErrorBody body) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body)
                .build();
    }

    /** A message about a malformed body that names the offending field when Jackson knows it. */
    static String describe(JsonProcessingException e) {
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            String field = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b)
                    .orElse("?");
            if (e instanceof InvalidFormatException invalid) {
                return "field '" + field + "' has an invalid value: " + invalid.getValue();
            }
            if (e instanceof MismatchedInputException) {
                return "field '" + field + "' has the wrong type";
            }
            return "field '" + field + "': " + e.getOriginalMessage();
        }
        return "malformed JSON: " + e.getOriginalMessage();
    }
}
