import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * A reference for the benchmark: a bare Vert.x reverse proxy (Vert.x' HTTP server and client on the jars the
 * gateway ships, without Quarkus, routing, limits, metrics or error handling) that rewrites {@code "sage-chat"}
 * and adds the model header, one verticle and one client per event loop — the stack the gateway's {@code /v1} edge
 * ran on before it got its own Netty connections to backends:
 * {@code java -cp <gateway libs> BareVertxProxy.java <port> <backend-port> <served-model> <event-loops>}.
 */
public class BareVertxProxy extends AbstractVerticle {

    private final int port;
    private final int backendPort;
    private final String model;

    BareVertxProxy(int port, int backendPort, String model) {
        this.port = port;
        this.backendPort = backendPort;
        this.model = model;
    }

    @Override
    public void start() {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(256));
        vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(request -> request.body()
                .onSuccess(body -> client.request(new RequestOptions().setMethod(HttpMethod.POST)
                        .setHost("127.0.0.1").setPort(backendPort).setURI(request.uri()))
                        .onSuccess(upstream -> {
                            upstream.headers().addAll(request.headers()).remove("Host").remove("Content-Length");
                            upstream.response().onSuccess(answer -> {
                                HttpServerResponse response = request.response().setStatusCode(answer.statusCode());
                                response.headers().addAll(answer.headers());
                                response.putHeader("X-Studio-Model", model);
                                answer.handler(response::write);
                                answer.endHandler(v -> response.end());
                            });
                            upstream.end(Buffer.buffer(body.toString()
                                    .replace("\"sage-chat\"", "\"" + model + "\"")));
                        })))
                .listen(port, "127.0.0.1");
    }

    public static void main(String[] args) {
        int loops = Integer.parseInt(args[3]);
        Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops)).deployVerticle(
                () -> new BareVertxProxy(Integer.parseInt(args[0]), Integer.parseInt(args[1]), args[2]),
                new DeploymentOptions().setInstances(loops));
    }
}
