package io.sage.studio.gateway.openai;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

import io.sage.studio.gateway.GatewayError;
import io.vertx.core.buffer.Buffer;

/**
 * The top-level {@code model} of a JSON request body, found with one streaming pass (which also checks that the
 * body is well-formed JSON) and replaced in place: the rest of the body goes upstream byte for byte, never
 * re-encoded (numbers, key order and whitespace stay as the client wrote them). The same pass picks up the top-level
 * {@code user} (OpenAI's end-user id), which keeps a conversation on one arm of a traffic split.
 *
 * @param requested   the requested model, {@code null} when absent or JSON {@code null}
 * @param valueStart  byte offset of the model's value, {@code -1} when the field is absent
 * @param valueEnd    byte offset just after the model's value
 * @param objectStart byte offset of the body's opening brace
 * @param empty       whether the object has no field at all
 * @param user        the top-level {@code user} when it is a string, else {@code null} (as Jackson's tree reads it:
 *                    the last {@code user} field wins)
 */
record ModelField(String requested, int valueStart, int valueEnd, int objectStart, boolean empty, String user) {

    private static final JsonFactory JSON = new JsonFactory();

    /** Why a body cannot be routed: the OpenAI error code, the offending parameter and a message. */
    static final class InvalidBody extends Exception {

        private final GatewayError code;
        private final String param;

        InvalidBody(GatewayError code, String param, String message) {
            super(message, null, false, false);
            this.code = code;
            this.param = param;
        }

        GatewayError code() {
            return code;
        }

        String param() {
            return param;
        }
    }

    /**
     * Finds the top-level {@code model} of {@code body} and checks that the body is one JSON object in UTF-8.
     *
     * @throws InvalidBody with one of a few fixed messages (never a piece of the body) when it is not
     */
    static ModelField locate(byte[] body) throws InvalidBody {
        if (!utf8(body)) {
            // Jackson would read UTF-16/32 as well, but the rewrite splices UTF-8 bytes into the body.
            throw new InvalidBody(GatewayError.INVALID_JSON, null, "the request body must be JSON in UTF-8");
        }
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidBody(GatewayError.INVALID_JSON, null, "the request body must be a JSON object");
            }
            int objectStart = (int) parser.currentTokenLocation().getByteOffset();
            String requested = null;
            int start = -1;
            int end = -1;
            boolean empty = true;
            String user = null;
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                empty = false;
                String name = parser.currentName();
                boolean model = "model".equals(name);
                JsonToken value = parser.nextToken();
                if (!model) {
                    if ("user".equals(name)) {
                        user = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    }
                    parser.skipChildren();
                    continue;
                }
                if (start >= 0) {
                    throw new InvalidBody(GatewayError.INVALID_REQUEST, "model", "'model' is given more than once");
                }
                if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) {
                    throw new InvalidBody(GatewayError.INVALID_TYPE, "model", "'model' must be a string");
                }
                start = (int) parser.currentTokenLocation().getByteOffset();
                requested = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                end = (int) parser.currentLocation().getByteOffset();
            }
            if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
                throw new InvalidBody(GatewayError.INVALID_JSON, null, "the request body is not a single JSON object");
            }
            return new ModelField(requested, start, end, objectStart, empty, user);
        } catch (IOException e) {
            throw new InvalidBody(GatewayError.INVALID_JSON, null, "the request body is not valid JSON");
        }
    }

    /**
     * Whether a JSON text is UTF-8 by the detection of RFC 4627 §3 (which Jackson and Python's {@code json} both
     * apply): no UTF-16 byte order mark and no zero byte among the first four bytes.
     */
    static boolean utf8(byte[] body) {
        if (body.length >= 2
                && ((body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
                        || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE))) {
            return false;
        }
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return false;
            }
        }
        return true;
    }

    /** The body with its model set to {@code served}: the value replaced, or the field added first. */
    Buffer withModel(byte[] body, String served) {
        byte[] quoted = quote(served);
        if (valueStart >= 0) {
            return Buffer.buffer(body.length - (valueEnd - valueStart) + quoted.length)
                    .appendBytes(body, 0, valueStart)
                    .appendBytes(quoted)
                    .appendBytes(body, valueEnd, body.length - valueEnd);
        }
        int insertAt = objectStart + 1;
        return Buffer.buffer(body.length + quoted.length + 10)
                .appendBytes(body, 0, insertAt)
                .appendString("\"model\":")
                .appendBytes(quoted)
                .appendString(empty ? "" : ",")
                .appendBytes(body, insertAt, body.length - insertAt);
    }

    private static byte[] quote(String value) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(value);
        byte[] quoted = new byte[escaped.length + 2];
        quoted[0] = '"';
        System.arraycopy(escaped, 0, quoted, 1, escaped.length);
        quoted[quoted.length - 1] = '"';
        return quoted;
    }
}
