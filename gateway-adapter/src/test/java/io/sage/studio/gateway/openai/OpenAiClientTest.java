package io.sage.studio.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.ChatModel;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.models.Model;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.sage.studio.gateway.support.Http;
import io.sage.studio.gateway.support.RoutePublisher;
import io.sage.studio.gateway.support.StandInBackend;
import io.sage.studio.gateway.support.StandInServices;
import io.sage.studio.kafka.KafkaTestResource;

/** The official OpenAI Java SDK, unmodified, talks to the gateway: chat, streaming, models, errors, a switch. */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StandInServices.class, scope = TestResourceScope.GLOBAL)
class OpenAiClientTest {

    private static final Path FAKE_VLLM = Path.of("..", "testing", "fake-vllm", "fake_vllm.py");

    private static StandInBackend first;
    private static StandInBackend second;

    @BeforeAll
    static void startBackends() {
        first = StandInBackend.start("sdk-model-one");
        second = StandInBackend.start("sdk-model-two");
    }

    @AfterAll
    static void stopBackends() throws Exception {
        first.close();
        second.close();
    }

    private static OpenAIClient client() {
        return OpenAIOkHttpClient.builder()
                .baseUrl(Http.uri("/v1").toString())
                .apiKey("sk-unused")
                .maxRetries(0)
                .build();
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder()
                .model(ChatModel.of(model))
                .addUserMessage("Say hello")
                .build();
    }

    @Test
    void theSdkChatsAndStreamsWithWhateverModelIsActiveAcrossASwitch() {
        OpenAIClient client = client();
        RoutePublisher.active(first);

        ChatCompletion completion = client.chat().completions().create(chat("sage-chat"));
        assertThat(completion.choices().get(0).message().content()).hasValue("hello from sdk-model-one");
        assertThat(completion.model()).isEqualTo("sdk-model-one");

        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(chat("sage-chat"))) {
            String text = stream.stream()
                    .flatMap(chunk -> chunk.choices().stream())
                    .map(choice -> choice.delta().content().orElse(""))
                    .collect(Collectors.joining());
            assertThat(text).isEqualTo("hello from sdk-model-one");
        }

        RoutePublisher.active(second);
        assertThat(client.chat()
                        .completions()
                        .create(chat("sage-chat"))
                        .choices()
                        .get(0)
                        .message()
                        .content())
                .hasValue("hello from sdk-model-two");
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(chat("sage-chat"))) {
            assertThat(stream.stream()
                            .map(ChatCompletionChunk::model)
                            .distinct()
                            .toList())
                    .containsExactly("sdk-model-two");
        }
        List<String> models =
                client.models().list().data().stream().map(Model::id).toList();
        assertThat(models).containsExactly("sdk-model-two", "sage-chat");
    }

    /** The stand-in that speaks vLLM's HTTP API as a separate process (testing/fake-vllm), not an in-JVM server. */
    @Test
    @Timeout(120)
    void theSdkChatsAndStreamsThroughTheGatewayWithTheFakeVllmProcess() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        ProcessBuilder builder = new ProcessBuilder(
                        "python3",
                        FAKE_VLLM.toString(),
                        "serve",
                        "Qwen/Qwen2.5-0.5B-Instruct",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--served-model-name",
                        "qwen-fake")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("FAKE_VLLM_TOKEN_DELAY", "0");
        Process vllm = builder.start();
        try {
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .build();
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> Http.send(health).statusCode() == 200);
            RoutePublisher.active("fake-vllm", "http://127.0.0.1:" + port, "qwen-fake");
            OpenAIClient client = client();

            ChatCompletion completion = client.chat().completions().create(chat("sage-chat"));
            assertThat(completion.model()).isEqualTo("qwen-fake");
            assertThat(completion.choices().get(0).message().content()).hasValue("[qwen-fake] you said: Say hello");
            try (StreamResponse<ChatCompletionChunk> stream =
                    client.chat().completions().createStreaming(chat("sage-chat"))) {
                assertThat(stream.stream()
                                .flatMap(chunk -> chunk.choices().stream())
                                .map(choice -> choice.delta().content().orElse(""))
                                .collect(Collectors.joining()))
                        .isEqualTo("[qwen-fake] you said: Say hello");
            }
        } finally {
            vllm.destroy();
            vllm.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSdkRaisesItsNotFoundExceptionForAnUnknownModel() {
        RoutePublisher.active(first);
        assertThatThrownBy(() -> client().chat().completions().create(chat("no-such-model")))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("no-such-model");
    }
}
