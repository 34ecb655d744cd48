package io.sage.studio.gateway.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.restassured.RestAssured;

/** A plain HTTP/1.1 client for the gateway under test, for what RestAssured cannot do (streams, concurrency). */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {}

    public static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + RestAssured.port + path);
    }

    public static HttpRequest post(String path, String json) {
        return HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
    }

    public static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends a request and returns as soon as the response head is in; the body is read line by line. */
    public static Stream open(HttpRequest request) {
        try {
            HttpResponse<InputStream> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream());
            return new Stream(response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A response body read as it arrives. */
    public static final class Stream implements AutoCloseable {

        private final HttpResponse<InputStream> response;
        private final BufferedReader reader;

        Stream(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        public HttpResponse<InputStream> response() {
            return response;
        }

        /** The next non-empty line (an SSE {@code data:}/{@code event:} line), or {@code null} at the end. */
        public String nextLine() throws IOException {
            String line;
            do {
                line = reader.readLine();
            } while (line != null && line.isEmpty());
            return line;
        }

        /** Every remaining non-empty line. */
        public List<String> rest() throws IOException {
            List<String> lines = new ArrayList<>();
            for (String line = nextLine(); line != null; line = nextLine()) {
                lines.add(line);
            }
            return lines;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}
