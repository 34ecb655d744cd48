package io.sage.studio.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class LazyHttpClientTest {

    @Test
    void nothingIsBuiltBeforeTheFirstUseAndOneClientAfterIt() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        LazyHttpClient lazy = new LazyHttpClient(() -> {
            builds.incrementAndGet();
            return HttpClient.newBuilder().build();
        });
        assertThat(builds).hasValue(0);

        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<HttpClient> seen = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                seen.add(lazy.get());
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(builds).hasValue(1);
        assertThat(seen).hasSize(8).allSatisfy(client -> assertThat(client).isSameAs(lazy.get()));
    }
}
