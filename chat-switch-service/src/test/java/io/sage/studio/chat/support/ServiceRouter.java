package io.sage.studio.chat.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * What cluster DNS and a Service do for the fake kubelet's engines: {@code /<service>/<path>} on one local port is
 * forwarded (with its {@code Content-Type} and {@code Authorization}) to the engine processes behind that Service, in
 * turn like kube-proxy spreads connections. The base-URL template {@code http://127.0.0.1:<port>/{service}} points the
 * service at it; pods are routed by their name the same way ({@link #podUrlTemplate()}).
 */
public final class ServiceRouter implements AutoCloseable {

    private final HttpServer server;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, List<Integer>> services = new ConcurrentHashMap<>();
    private final AtomicInteger turn = new AtomicInteger();

    public ServiceRouter() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::forward);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    public String baseUrlTemplate() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/{service}";
    }

    /** Where the service reaches one pod: the pod's name on this router, its IP standing for the host. */
    public String podUrlTemplate() {
        return "http://{ip}:" + server.getAddress().getPort() + "/{pod}";
    }

    public void route(String service, int port) {
        services.put(service, List.of(port));
    }

    /** A Service over several pods: each request goes to the next port. */
    public void route(String service, List<Integer> ports) {
        services.put(service, List.copyOf(ports));
    }

    public void remove(String service) {
        services.remove(service);
    }

    private void forward(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        int slash = path.indexOf('/', 1);
        String service = slash < 0 ? path.substring(1) : path.substring(1, slash);
        List<Integer> ports = services.get(service);
        if (ports == null || ports.isEmpty()) {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(Math.floorMod(turn.getAndIncrement(), ports.size()))
                                + (slash < 0 ? "/" : path.substring(slash))))
                .method(
                        exchange.getRequestMethod(),
                        body.length == 0
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String header : new String[] {"Content-Type", "Authorization"}) {
            String value = exchange.getRequestHeaders().getFirst(header);
            if (value != null) {
                request.header(header, value);
            }
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            response.headers()
                    .firstValue("Content-Type")
                    .ifPresent(t -> exchange.getResponseHeaders().set("Content-Type", t));
            exchange.sendResponseHeaders(
                    response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
            exchange.getResponseBody().write(response.body());
        } catch (IOException e) {
            exchange.sendResponseHeaders(502, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.sendResponseHeaders(502, -1);
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
