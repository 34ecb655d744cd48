package io.sage.studio.common.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.stream.Stream;

/**
 * What the authentication filter costs a request, printed by {@code bench/auth/run.sh}: the policy look-up
 * (canonical path + rule table) and a bearer-token check against token files of growing size (SHA-256 of the
 * presented token, constant-time comparison with every entry). Both run on the event loop for every request.
 */
public final class AuthBench {

    private static final List<String[]> REQUESTS = List.of(
            new String[] {"GET", "/api/finetune/tasks"},
            new String[] {"GET", "/api/finetune/tasks/task-20261126-abcd/logs"},
            new String[] {"POST", "/api/finetune/create"},
            new String[] {"DELETE", "/api/finetune/tasks/task-20261126-abcd"},
            new String[] {"POST", "/v1/chat/completions"},
            new String[] {"GET", "/q/health/ready"},
            new String[] {"GET", "/assets/index-3f2a.js"},
            new String[] {"POST", "/api/finetune/switch-model"});

    private AuthBench() {}

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        System.out.println("auth filter cost per request (JDK " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs)");

        long sink = 0;
        for (int warm = 0; warm < 2; warm++) {
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                String[] request = REQUESTS.get(i % REQUESTS.size());
                sink += AccessPolicy.required(request[0], AccessPolicy.canonicalPath(request[1]))
                        .ordinal();
            }
            if (warm == 1) {
                print("policy look-up (canonical path + table)", System.nanoTime() - start, rounds);
            }
        }

        Path dir = Files.createTempDirectory("auth-bench");
        try {
            for (int size : new int[] {10, 100, 1000}) {
                StringJoiner entries = new StringJoiner(",\n", "{\"tokens\": [\n", "]}");
                for (int i = 0; i < size; i++) {
                    entries.add(
                            "{\"name\": \"user" + i + "\", \"role\": \"trainer\", \"token\": \"" + token(i) + "\"}");
                }
                Path file = Files.writeString(dir.resolve("tokens-" + size + ".json"), entries.toString());
                CredentialsFile tokens = CredentialsFile.load(file, Duration.ofSeconds(10), Clock.systemUTC());
                int checks = Math.max(10_000, rounds / size);
                for (int warm = 0; warm < 2; warm++) {
                    long start = System.nanoTime();
                    for (int i = 0; i < checks; i++) {
                        sink += tokens.verify(token(i % size)).hashCode();
                    }
                    if (warm == 1) {
                        print("bearer token check, " + size + " tokens in the file", System.nanoTime() - start, checks);
                    }
                }
            }
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
        System.out.println("(checksum " + (sink & 0xff) + ")");
    }

    private static String token(int i) {
        return String.format(Locale.ROOT, "bench-token-%032d", i);
    }

    private static void print(String what, long nanos, int operations) {
        System.out.printf(
                Locale.ROOT,
                "  %-45s %10.0f ns/op  %12.0f ops/s%n",
                what,
                (double) nanos / operations,
                operations * 1e9 / nanos);
    }
}
