package io.sage.studio.common.http;

import java.net.http.HttpClient;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A JDK {@link HttpClient} built on its first use. Building one loads the JDK's default TLS context (the trust store
 * and its certificates) and starts the client's selector thread; a bean created at start-up that may never send a
 * request (webhooks no one registered, evaluations no one ran) would pay that on every service start, on a machine
 * where the whole studio's start is short of CPU.
 */
public final class LazyHttpClient implements Supplier<HttpClient> {

    private final Supplier<HttpClient> build;
    private volatile HttpClient client;

    /** @param build builds the client, once, on the first {@link #get()} */
    public LazyHttpClient(Supplier<HttpClient> build) {
        this.build = Objects.requireNonNull(build, "build");
    }

    @Override
    public HttpClient get() {
        HttpClient built = client;
        if (built == null) {
            synchronized (this) {
                built = client;
                if (built == null) {
                    built = Objects.requireNonNull(build.get(), "built client");
                    client = built;
                }
            }
        }
        return built;
    }
}
