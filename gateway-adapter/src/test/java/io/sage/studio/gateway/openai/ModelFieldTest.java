package io.sage.studio.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ModelFieldTest {

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String rewrite(String json, String served) throws Exception {
        byte[] body = bytes(json);
        return ModelField.locate(body).withModel(body, served).toString(StandardCharsets.UTF_8);
    }

    @Test
    void theModelValueIsReplacedAndEverythingElseKeptByteForByte() throws Exception {
        String body = "{ \"messages\": [{\"role\":\"user\",\"content\":\"say \\\"model\\\": x\"}],\n"
                + "  \"model\" : \"sage-chat\", \"temperature\": 0.10, \"extra\": {\"model\": \"nested\"} }";
        assertThat(ModelField.locate(bytes(body)).requested()).isEqualTo("sage-chat");
        assertThat(rewrite(body, "qwen-ft/ä\"1")).isEqualTo(body.replace("\"sage-chat\"", "\"qwen-ft/ä\\\"1\""));
    }

    @Test
    void aMissingModelIsAddedFirstAndANullOneReplaced() throws Exception {
        assertThat(ModelField.locate(bytes("{\"prompt\":\"hi\"}")).requested()).isNull();
        assertThat(rewrite("{\"prompt\":\"hi\"}", "m")).isEqualTo("{\"model\":\"m\",\"prompt\":\"hi\"}");
        assertThat(rewrite(" {}", "m")).isEqualTo(" {\"model\":\"m\"}");
        assertThat(rewrite("{\"model\":null,\"n\":1}", "m")).isEqualTo("{\"model\":\"m\",\"n\":1}");
    }

    @Test
    void bodiesThatAreNotOneJsonObjectOrHaveABadModelAreRejected() {
        assertThatThrownBy(() -> ModelField.locate(bytes("{\"model\":\"a\",\"messages\":[")))
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> ModelField.locate(bytes("[1]"))).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> ModelField.locate(bytes("{} {}"))).hasMessageContaining("single JSON object");
        assertThatThrownBy(() -> ModelField.locate(bytes("{\"model\":42}"))).hasMessageContaining("must be a string");
        assertThatThrownBy(() -> ModelField.locate(bytes("{\"model\":\"a\",\"model\":\"b\"}")))
                .hasMessageContaining("more than once");
    }

    @Test
    void onlyUtf8IsScannedSinceTheRewriteWritesUtf8() throws Exception {
        String json = "{\"model\":\"gpt-4o\"}";
        for (String encoding : new String[] {"UTF-16", "UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE"}) {
            assertThatThrownBy(() -> ModelField.locate(json.getBytes(encoding)))
                    .as(encoding)
                    .hasMessage("the request body must be JSON in UTF-8");
        }
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] withBom = new byte[bom.length + json.length()];
        System.arraycopy(bom, 0, withBom, 0, bom.length);
        System.arraycopy(bytes(json), 0, withBom, bom.length, json.length());
        assertThat(ModelField.locate(withBom).requested()).isEqualTo("gpt-4o");
        assertThat(ModelField.locate(withBom).withModel(withBom, "m").getBytes())
                .endsWith(bytes("{\"model\":\"m\"}"));
    }

    @Test
    void theSamePassReadsTheTopLevelUserWhenItIsAString() throws Exception {
        assertThat(ModelField.locate(bytes("{\"model\":\"m\",\"user\":\"u-1\"}"))
                        .user())
                .isEqualTo("u-1");
        assertThat(ModelField.locate(bytes("{\"user\":\"a\",\"x\":{\"user\":\"nested\"}}"))
                        .user())
                .isEqualTo("a");
        assertThat(ModelField.locate(bytes("{\"user\":\"a\",\"user\":\"b\"}")).user())
                .isEqualTo("b");
        assertThat(ModelField.locate(bytes("{\"user\":\"a\",\"user\":7}")).user())
                .isNull();
        assertThat(ModelField.locate(bytes("{\"user\":{\"id\":\"a\"}}")).user()).isNull();
        assertThat(ModelField.locate(bytes("{\"\\u0075ser\":\"escaped\"}")).user())
                .isEqualTo("escaped");
        assertThat(ModelField.locate(bytes("{\"model\":\"m\"}")).user()).isNull();
    }
}
