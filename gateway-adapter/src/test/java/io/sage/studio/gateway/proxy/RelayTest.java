package io.sage.studio.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

class RelayTest {

    @Test
    void hopByHopHeadersAndThoseNamedInConnectionStayBehind() {
        MultiMap from = HttpHeaders.headers()
                .add("Content-Type", "application/json")
                .add("Authorization", "Bearer t")
                .add("Accept", "text/event-stream")
                .add("Set-Cookie", "a=1")
                .add("Set-Cookie", "b=2")
                .add("Connection", "keep-alive, X-Private")
                .add("X-Private", "secret")
                .add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked")
                .add("Content-Length", "12")
                .add("Host", "gateway:8080")
                .add("Expect", "100-continue")
                .add("Upgrade", "h2c")
                .add("Proxy-Authorization", "Basic x")
                .add("TE", "trailers");
        MultiMap to = HttpHeaders.headers();
        Relay.copyHeaders(from, to);
        assertThat(to.names()).containsExactlyInAnyOrder("Content-Type", "Authorization", "Accept", "Set-Cookie");
        assertThat(to.getAll("Set-Cookie")).containsExactly("a=1", "b=2");
    }

    @Test
    void onlyConnectionTokensThatNameEndToEndHeadersAreKept() {
        assertThat(Relay.connectionTokens(null)).isNull();
        assertThat(Relay.connectionTokens("keep-alive")).isNull();
        assertThat(Relay.connectionTokens("Close")).isNull();
        assertThat(Relay.connectionTokens("Keep-Alive, X-A ,x-b,")).containsExactlyInAnyOrder("x-a", "x-b");
    }
}
