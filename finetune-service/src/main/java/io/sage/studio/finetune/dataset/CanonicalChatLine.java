package io.sage.studio.finetune.dataset;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The fast path of the JSONL validator for the common record, a canonical chat line
 * {@code {"messages":[{"role":…,"content":…},…]}} with no other key: read token by token and written straight back as
 * the normalised line, without a tree, a {@code String} per content or a databind serialiser (the tree path spent most
 * of an upload's CPU there).
 *
 * <p>It accepts only what it is sure of: a valid record whose normalised bytes are exactly what the tree path writes
 * (the same generator escapes the same characters). Anything else (another key, another order, a duplicate key, a bad
 * role, a syntax error, no assistant answer) is answered {@code false} and the line goes through the tree path, which
 * alone words the errors, so a rejected line is reported exactly as before. Every token of an accepted line is
 * decoded, so no bad byte or malformed value can hide in a skipped part of it.
 */
final class CanonicalChatLine {

    private final JsonFactory factory;
    /** The normalised line being built; written out only once the whole record proved valid. */
    private final Buffer record = new Buffer();

    private long chars;
    private long tokens;

    CanonicalChatLine(JsonFactory factory) {
        this.factory = factory;
    }

    /** Characters of content in the last accepted line. */
    long chars() {
        return chars;
    }

    /** {@link DatasetValidator#estimateTokens} of the last accepted line, 4 per message included. */
    long tokens() {
        return tokens;
    }

    /**
     * Writes the normalised form of {@code line[begin, end)} (without its line break) to {@code out} when it is a
     * valid canonical chat record; {@code false}, with nothing written, when the tree path has to decide.
     */
    boolean write(byte[] line, int begin, int end, OutputStream out) throws IOException {
        record.reset();
        chars = 0;
        tokens = 0;
        boolean ok;
        try (JsonParser parser = factory.createParser(line, begin, end - begin);
                JsonGenerator generator = factory.createGenerator(record)) {
            ok = convert(parser, generator) && parser.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            // Malformed, or something the generator refuses: the tree path says what it is.
            return false;
        }
        if (ok) {
            record.writeTo(out);
        }
        return ok;
    }

    private boolean convert(JsonParser parser, JsonGenerator out) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT
                || !"messages".equals(parser.nextFieldName())
                || parser.nextToken() != JsonToken.START_ARRAY) {
            return false;
        }
        out.writeStartObject();
        out.writeFieldName("messages");
        out.writeStartArray();
        boolean answered = false;
        int messages = 0;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.START_OBJECT || !"role".equals(parser.nextFieldName())) {
                return false;
            }
            String role = parser.nextToken() == JsonToken.VALUE_STRING ? role(parser.getText()) : null;
            if (role == null
                    || !"content".equals(parser.nextFieldName())
                    || parser.nextToken() != JsonToken.VALUE_STRING) {
                return false;
            }
            char[] text = parser.getTextCharacters();
            int offset = parser.getTextOffset();
            int length = parser.getTextLength();
            out.writeStartObject();
            out.writeStringField("role", role);
            out.writeFieldName("content");
            out.writeString(text, offset, length);
            long ascii = 0;
            for (int i = offset; i < offset + length; i++) {
                ascii += text[i] < 128 ? 1 : 0;
            }
            out.writeEndObject();
            chars += length;
            // DatasetValidator.estimateTokens: ~4 ASCII characters per token, 1 per other character; 4 per message.
            tokens += (ascii + 3) / 4 + (length - ascii) + 4;
            answered |= role.equals("assistant") && !blank(text, offset, length);
            messages++;
            if (parser.nextToken() != JsonToken.END_OBJECT) {
                return false;
            }
        }
        if (messages == 0 || !answered || parser.nextToken() != JsonToken.END_OBJECT) {
            return false;
        }
        out.writeEndArray();
        out.writeEndObject();
        return true;
    }

    private static String role(String role) {
        return switch (role) {
            case "system" -> "system";
            case "user" -> "user";
            case "assistant" -> "assistant";
            default -> null;
        };
    }

    /** {@link String#isBlank()} of the characters (a surrogate is never white space there either). */
    private static boolean blank(char[] text, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (!Character.isWhitespace(text[i])) {
                return false;
            }
        }
        return true;
    }

    /** A reusable byte buffer without {@code ByteArrayOutputStream}'s locking. */
    static final class Buffer extends OutputStream {
        private byte[] bytes;
        private int size;

        Buffer() {
            this(8192);
        }

        Buffer(int capacity) {
            bytes = new byte[capacity];
        }

        void reset() {
            size = 0;
        }

        @Override
        public void write(int b) {
            grow(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            grow(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        void writeTo(OutputStream out) throws IOException {
            out.write(bytes, 0, size);
        }

        private void grow(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + more, bytes.length * 2));
            }
        }
    }
}
