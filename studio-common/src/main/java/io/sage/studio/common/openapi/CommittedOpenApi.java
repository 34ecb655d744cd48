package io.sage.studio.common.openapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.ErrorBody;
import io.sage.studio.common.error.FieldError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Serves the service's OpenAPI document at {@code /q/openapi}: the committed one, packaged from
 * {@code studio-ui/src/api/openapi/<name>.json} as {@code META-INF/openapi/<name>.json}, whose equality with what the
 * code declares each service's {@code OpenApiDocumentTest} proves. The services do not ship the OpenAPI extension, which
 * builds the document at every start (see this package's DESIGN.md).
 *
 * <p>Formats as the extension answers them: JSON for a path ending in {@code .json}, for {@code ?format=json} or for an
 * {@code Accept} naming {@code application/json}; YAML otherwise. The document is read on the first request, not at
 * start-up, and the YAML form is written from it then.
 */
@ApplicationScoped
public class CommittedOpenApi {

    /** Where a service's committed document lies on its class path. */
    public static final String RESOURCE_DIRECTORY = "META-INF/openapi/";

    static final String JSON_TYPE = "application/json;charset=UTF-8";
    static final String YAML_TYPE = "application/yaml;charset=UTF-8";
    private static final String ALLOWED_METHODS = "GET, HEAD, OPTIONS";
    private static final Logger LOG = Logger.getLogger(CommittedOpenApi.class);

    private final Optional<String> document;
    private final String path;
    private final ObjectMapper json;
    private volatile Forms forms;

    public CommittedOpenApi(
            @ConfigProperty(name = "studio.openapi.document") Optional<String> document,
            @ConfigProperty(name = "quarkus.http.root-path", defaultValue = "/") String rootPath,
            @ConfigProperty(name = "quarkus.http.non-application-root-path", defaultValue = "q")
                    String nonApplicationRoot,
            ObjectMapper json) {
        this.document = document;
        this.path = documentPath(rootPath, nonApplicationRoot);
        this.json = json;
    }

    /** {@code <root>/<non-application root>/openapi}, as Quarkus resolves a relative non-application root. */
    static String documentPath(String rootPath, String nonApplicationRoot) {
        String base = nonApplicationRoot.startsWith("/")
                ? nonApplicationRoot
                : (rootPath.endsWith("/") ? rootPath : rootPath + "/") + nonApplicationRoot;
        return (base.endsWith("/") ? base : base + "/") + "openapi";
    }

    void register(@Observes Router router) {
        if (document.isEmpty()) {
            return;
        }
        if (Thread.currentThread().getContextClassLoader().getResource(resource(document.get())) == null) {
            LOG.errorf("%s is not on the class path: /q/openapi will answer 500", resource(document.get()));
        }
        for (String suffix : List.of("", ".json", ".yaml", ".yml")) {
            router.route(path + suffix)
                    .method(HttpMethod.GET)
                    .method(HttpMethod.HEAD)
                    .method(HttpMethod.OPTIONS)
                    // Off the event loop: the first request reads the document and loads the YAML writer.
                    .blockingHandler(this::handle, false);
        }
    }

    private void handle(RoutingContext request) {
        if (request.request().method() == HttpMethod.OPTIONS) {
            request.response()
                    .setStatusCode(204)
                    .putHeader(HttpHeaders.ALLOW, ALLOWED_METHODS)
                    .end();
            return;
        }
        Optional<Boolean> asJson = wantsJson(
                request.normalizedPath(),
                request.queryParam("format"),
                request.request().getHeader(HttpHeaders.ACCEPT));
        if (asJson.isEmpty()) {
            String message = "format must be json or yaml";
            answer(
                    request,
                    400,
                    JSON_TYPE,
                    errorBody(CommonError.INVALID_FIELD.code(), message, List.of(new FieldError("format", message))));
            return;
        }
        Forms loaded;
        try {
            loaded = forms();
        } catch (RuntimeException e) {
            LOG.error("cannot serve /q/openapi", e);
            answer(
                    request,
                    500,
                    JSON_TYPE,
                    errorBody(
                            CommonError.INTERNAL.code(),
                            "the service's OpenAPI document could not be read (a packaging fault; see the service log)",
                            List.of()));
            return;
        }
        boolean json = asJson.get();
        answer(request, 200, json ? JSON_TYPE : YAML_TYPE, json ? loaded.json() : loaded.yaml());
    }

    /**
     * Whether a request asks for JSON, by the extension's order: the path's extension, then {@code format}, then
     * {@code Accept}; empty for a {@code format} that is neither {@code json} nor {@code yaml}.
     */
    static Optional<Boolean> wantsJson(String path, List<String> format, String accept) {
        if (path.endsWith(".json")) {
            return Optional.of(true);
        }
        if (path.endsWith(".yaml") || path.endsWith(".yml")) {
            return Optional.of(false);
        }
        if (!format.isEmpty()) {
            return switch (format.get(0).toLowerCase(Locale.ROOT)) {
                case "json" -> Optional.of(true);
                case "yaml", "yml" -> Optional.of(false);
                default -> Optional.empty();
            };
        }
        return Optional.of(accept != null && accept.contains("application/json"));
    }

    private Forms forms() {
        Forms loaded = forms;
        if (loaded == null) {
            synchronized (this) {
                loaded = forms;
                if (loaded == null) {
                    loaded = read(document.orElseThrow());
                    forms = loaded;
                }
            }
        }
        return loaded;
    }

    private static String resource(String name) {
        return RESOURCE_DIRECTORY + name + ".json";
    }

    private Forms read(String name) {
        String resource = resource(name);
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                // A packaging fault (the root pom copies the committed document): a 500, never a quiet 404.
                throw new IllegalStateException(
                        resource + " is not on the class path (studio-common openapi/DESIGN.md)");
            }
            byte[] jsonForm = in.readAllBytes();
            // Every string quoted: a bare example such as 2022-03-10T16:15:50Z would read back as a timestamp.
            YAMLMapper yaml = YAMLMapper.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .build();
            byte[] yamlForm = yaml.writeValueAsBytes(json.readTree(jsonForm));
            return new Forms(jsonForm, yamlForm);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the service's OpenAPI document " + resource, e);
        }
    }

    private byte[] errorBody(String code, String message, List<?> details) {
        try {
            return json.writeValueAsBytes(ErrorBody.of(code, message, details));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void answer(RoutingContext request, int status, String contentType, byte[] body) {
        request.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, contentType)
                .end(Buffer.buffer(body));
    }

    /** The document as committed (JSON) and as YAML. */
    private record Forms(byte[] json, byte[] yaml) {}
}
