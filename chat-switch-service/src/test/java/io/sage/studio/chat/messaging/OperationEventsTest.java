package io.sage.studio.chat.messaging;

import static io.sage.studio.chat.support.Engines.BASE_A;
import static io.sage.studio.chat.support.Engines.BASE_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sage.studio.chat.support.LocalEnvironment;
import io.sage.studio.chat.support.Switches;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.EventDeserializer;
import io.sage.studio.events.Topics;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * A real switch (stand-in engines, the real broker) publishes its state changes on {@code studio.chat.operations}:
 * {@code switch.started} first, {@code switch.step}s, {@code switch.succeeded} last, each naming the operation, the
 * model and who asked, the last one the model served before.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(LocalEnvironment.class)
class OperationEventsTest {

    @Test
    void aSwitchPublishesItsStateChanges() {
        Switches.awaitServiceReady();
        Switches.serve(Map.of("model", BASE_A));
        Properties props = new Properties();
        props.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaTestResource.broker().bootstrapServers());
        List<ChatOperationEvent> seen = new CopyOnWriteArrayList<>();
        try (KafkaConsumer<String, ChatOperationEvent> consumer =
                new KafkaConsumer<>(props, new StringDeserializer(), new EventDeserializer.ChatOperationEvents())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.CHAT_OPERATIONS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);

            JsonPath op = Switches.serve(Map.of("model", BASE_B));
            String id = op.getString("id");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
                return seen.stream().anyMatch(e -> id.equals(e.id()) && "switch.succeeded".equals(e.event()));
            });
            List<ChatOperationEvent> mine =
                    seen.stream().filter(e -> id.equals(e.id())).toList();
            assertThat(mine.get(0).event()).isEqualTo("switch.started");
            assertThat(mine.get(mine.size() - 1).event()).isEqualTo("switch.succeeded");
            assertThat(mine.get(mine.size() - 1).state()).isEqualTo("completed");
            assertThat(mine).allSatisfy(e -> {
                assertThat(e.kind()).isEqualTo(ChatOperationEvent.KIND_SWITCH);
                assertThat(e.model()).isEqualTo(BASE_B);
                assertThat(e.actor()).isEqualTo(op.getString("requested_by"));
            });
            assertThat(mine).extracting(ChatOperationEvent::event).contains("switch.step");
        }
    }
}
