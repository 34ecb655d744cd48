package io.sage.studio.events;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.common.header.Headers;

/**
 * HMAC-SHA256 signatures of studio events, so that only a holder of the studio's signing key can steer routing or
 * switches through Kafka. A signature covers the CloudEvents {@code id}, {@code type} and {@code time} attributes and
 * the record value, and travels as the CloudEvents extension attribute {@code studiosignature} (Kafka header
 * {@code ce_studiosignature}, value {@code v1=<base64>}).
 *
 * <p>Signed material: {@code "v1\n" + id + "\n" + type + "\n" + time + "\n"} in UTF-8, followed by the value bytes
 * (none for a tombstone). The version prefix lets a later scheme live beside this one. The JDK's {@link Mac} is the
 * whole implementation: the Standard Webhooks libraries sign HTTP requests, not Kafka records, and CloudEvents has no
 * signature extension of its own.
 */
public final class EventSignature {

    /** The Kafka header of the signature (CloudEvents binary mode: {@code ce_} + the extension's name). */
    public static final String HEADER = "ce_studiosignature";

    static final String VERSION = "v1";
    private static final String ALGORITHM = "HmacSHA256";

    /** The outcome of checking a record. */
    public enum Verdict {
        /** The signature matches. */
        VALID,
        /** No signature, or the attributes it covers are missing. */
        UNSIGNED,
        /** A signature that does not match: another key, or a changed record. */
        FORGED
    }

    private final SecretKeySpec key;

    private EventSignature(byte[] key) {
        this.key = new SecretKeySpec(key, ALGORITHM);
    }

    /** A signer/verifier for a key given as text (any length ≥ 16 bytes; generate 32 random bytes). */
    public static EventSignature withKey(String key) {
        byte[] bytes = key.strip().getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 16) {
            throw new IllegalArgumentException("the event signing key must be at least 16 bytes long");
        }
        return new EventSignature(bytes);
    }

    /** Adds the signature header to a record's headers (replacing one that is there). */
    public void sign(Headers headers, byte[] value) {
        String id = CloudEvents.header(headers, CloudEvents.H_ID);
        String type = CloudEvents.header(headers, CloudEvents.H_TYPE);
        String time = CloudEvents.header(headers, CloudEvents.H_TIME);
        if (id == null || type == null || time == null) {
            throw new IllegalArgumentException("an event needs the CloudEvents id, type and time headers to be signed");
        }
        headers.remove(HEADER);
        headers.add(
                HEADER,
                (VERSION + "=" + Base64.getEncoder().encodeToString(mac(id, type, time, value)))
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** Checks a consumed record's signature in constant time. */
    public Verdict verify(Headers headers, byte[] value) {
        String signature = CloudEvents.header(headers, HEADER);
        String id = CloudEvents.header(headers, CloudEvents.H_ID);
        String type = CloudEvents.header(headers, CloudEvents.H_TYPE);
        String time = CloudEvents.header(headers, CloudEvents.H_TIME);
        if (signature == null || id == null || type == null || time == null) {
            return Verdict.UNSIGNED;
        }
        if (!signature.startsWith(VERSION + "=")) {
            return Verdict.FORGED;
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(signature.substring(VERSION.length() + 1));
        } catch (IllegalArgumentException e) {
            return Verdict.FORGED;
        }
        return MessageDigest.isEqual(given, mac(id, type, time, value)) ? Verdict.VALID : Verdict.FORGED;
    }

    private byte[] mac(String id, String type, String time, byte[] value) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update((VERSION + "\n" + id + "\n" + type + "\n" + time + "\n").getBytes(StandardCharsets.UTF_8));
            if (value != null) {
                mac.update(value);
            }
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
