package io.sage.studio.gateway.routing;

import java.nio.charset.StandardCharsets;

/**
 * The bucket (0–99) of a conversation in a traffic split: a hash of the rollout id and the conversation's key (the
 * request's {@code X-Session-Id} or {@code user}), the same on every gateway replica and across restarts, so that
 * each replica sends a conversation to the same arm, and one on the candidate (bucket below the weight) stays there
 * while the weight grows. The rollout id salts it: each rollout draws its own share of conversations, so that the
 * same users are not always the first to see a new model.
 *
 * <p>FNV-1a (32 bit) over the UTF-8 bytes, then MurmurHash3's finaliser, whose avalanche evens out the low digits
 * that {@code mod 100} keeps (plain FNV-1a is uneven there for short, similar keys such as {@code user-1},
 * {@code user-2}).
 */
public final class StickyBucket {

    private static final int FNV_OFFSET = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private StickyBucket() {}

    /** The bucket of {@code key} in the rollout {@code salt} ({@code null}: none). */
    public static int of(String salt, String key) {
        int hash = FNV_OFFSET;
        if (salt != null) {
            hash = fnv(hash, salt.getBytes(StandardCharsets.UTF_8));
            hash = (hash ^ '\n') * FNV_PRIME;
        }
        hash = fnv(hash, key.getBytes(StandardCharsets.UTF_8));
        return Integer.remainderUnsigned(mix(hash), 100);
    }

    private static int fnv(int hash, byte[] bytes) {
        int h = hash;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** MurmurHash3's {@code fmix32}. */
    private static int mix(int hash) {
        int h = hash;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
