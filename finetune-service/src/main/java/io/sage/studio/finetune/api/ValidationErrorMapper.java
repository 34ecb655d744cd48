package io.sage.studio.finetune.api;

import java.util.Comparator;
import java.util.List;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.FieldError;
import io.sage.studio.common.error.HttpStatuses;

/** Bean Validation failures in the studio error shape: 400 {@code invalid_field}, each field named (snake_case). */
public class ValidationErrorMapper {

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        List<FieldError> fields = e.getConstraintViolations().stream()
                .map(v -> new FieldError(field(v), field(v) + " " + v.getMessage()))
                .sorted(Comparator.comparing(FieldError::field))
                .toList();
        String message = fields.isEmpty()
                ? "invalid request"
                : String.join("; ", fields.stream().map(FieldError::message).toList());
        return Response.status(HttpStatuses.of(CommonError.INVALID_FIELD.kind()))
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(CommonError.INVALID_FIELD.code(), message, fields))
                .build();
    }

    /** The last node of the violation's path (method.argument.property) in the JSON's snake_case. */
    static String field(ConstraintViolation<?> violation) {
        String name = "request";
        for (Path.Node node : violation.getPropertyPath()) {
            name = node.getName();
        }
        return name.equals("loadIn8bit") ? "load_in_8bit" : SNAKE.translate(name);
    }
}
