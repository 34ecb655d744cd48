package io.sage.studio.finetune.dataset;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.ObjectWriter;

import io.sage.studio.common.error.StudioException;
import io.sage.studio.events.StudioJson;
import io.sage.studio.finetune.FinetuneError;
import io.sage.studio.finetune.config.FinetuneConfig;
import io.sage.studio.finetune.domain.Dataset;

/**
 * Builds a chat training set from the project's own Markdown docs, bundled into the service at build time
 * ({@code sage-docs/} on the class path with an {@code index.txt}; there is no internet to fetch them from).
 * Each section (split at headings outside code fences) long enough to teach something becomes one or more
 * question/answer samples.
 */
@ApplicationScoped
public class SageDocs {

    static final String ROOT = "sage-docs/";
    static final String SYSTEM_PROMPT =
            "You are the SAGE Studio assistant. Answer questions about SAGE Studio " + "from its documentation.";
    private static final String[] QUESTIONS = {
        "What does the SAGE Studio documentation say about \"%s\" (%s)?",
        "Explain \"%s\" from %s.",
        "Summarise the section \"%s\" of %s.",
    };

    private final DatasetService datasets;
    private final FinetuneConfig.Docs config;

    @Inject
    public SageDocs(DatasetService datasets, FinetuneConfig config) {
        this(datasets, config.docs());
    }

    public SageDocs(DatasetService datasets, FinetuneConfig.Docs config) {
        this.datasets = datasets;
        this.config = config;
    }

    /**
     * The stored dataset plus what was built. {@code status}, {@code message} and {@code data_file} (the dataset's
     * path) are the original SAGE Studio's answer, which its client reads with {@code stats.total_samples};
     * {@code reused} says the caller's dataset built from the same bundled docs was returned instead of a new one.
     */
    public record Prepared(
            @JsonUnwrapped Dataset dataset,

            @Schema(required = true, enumeration = "success")
            String status,

            @Schema(required = true) String message,
            @Schema(required = true) String dataFile,
            @Schema(required = true) boolean reused,
            long samples,
            long characters,
            long estimatedTokens,
            List<String> documents) {

        static Prepared of(Dataset dataset, boolean reused, List<String> documents) {
            return new Prepared(
                    dataset,
                    "success",
                    (reused ? "SAGE docs dataset already prepared: " : "SAGE docs dataset prepared: ")
                            + dataset.validRecords() + " samples from " + documents.size() + " documents",
                    dataset.path(),
                    reused,
                    dataset.validRecords(),
                    dataset.stats().totalChars(),
                    dataset.stats().estimatedTokens(),
                    documents);
        }
    }

    /** A Markdown section: its heading path and body. */
    record Section(String document, String title, String body) {}

    /**
     * Builds the set and stores it as a dataset of {@code owner}; unless {@code forceRefresh}, a dataset of
     * {@code owner} built from the same docs with the same settings (same content, named by its hash) is returned
     * instead of storing a copy. The seed's {@code force_refresh} re-downloaded the docs; ours are bundled, so it
     * rebuilds them into a new dataset.
     */
    public synchronized Prepared prepare(String owner, boolean forceRefresh) throws IOException {
        List<String> names = index();
        List<Section> sections = new ArrayList<>();
        for (String name : names) {
            sections.addAll(sections(name, read(name)));
        }
        ObjectWriter writer = StudioJson.mapper().writerFor(DatasetValidator.Sample.class);
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        int n = 0;
        for (Section section : sections) {
            List<String> chunks = chunks(section.body());
            for (int part = 0; part < chunks.size(); part++) {
                String title = chunks.size() == 1 ? section.title() : section.title() + " (part " + (part + 1) + ")";
                String question = String.format(QUESTIONS[n++ % QUESTIONS.length], title, section.document());
                jsonl.write(writer.writeValueAsBytes(new DatasetValidator.Sample(List.of(
                        ChatMessage.system(SYSTEM_PROMPT),
                        ChatMessage.user(question),
                        ChatMessage.assistant(chunks.get(part))))));
                jsonl.write('\n');
            }
        }
        if (n == 0) {
            throw new StudioException(
                    FinetuneError.DOCS_UNAVAILABLE,
                    "no bundled documentation section is long enough to "
                            + "make a sample (studio.finetune.docs.min-section-chars=" + config.minSectionChars()
                            + ")");
        }
        byte[] content = jsonl.toByteArray();
        String filename = "sage-docs-" + contentHash(content) + ".jsonl";
        if (!forceRefresh) {
            Optional<Dataset> built = datasets.list().stream()
                    .filter(d -> filename.equals(d.filename()) && Objects.equals(owner, d.owner()))
                    .findFirst();
            if (built.isPresent()) {
                return Prepared.of(built.get(), true, names);
            }
        }
        return Prepared.of(datasets.store(filename, new ByteArrayInputStream(content), owner), false, names);
    }

    /** The first 12 hex digits of the SHA-256 of {@code content}. */
    static String contentHash(byte[] content) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(content))
                    .substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static List<String> index() throws IOException {
        String index = read("index.txt");
        return index.lines()
                .map(String::strip)
                .filter(l -> l.endsWith(".md"))
                .sorted()
                .toList();
    }

    private static String read(String name) throws IOException {
        try (InputStream in = SageDocs.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new StudioException(
                        FinetuneError.DOCS_UNAVAILABLE,
                        "the bundled documentation is missing " + name + " (the service was built without it)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Splits a Markdown document at headings of level 1–3, ignoring {@code #} lines inside code fences. */
    List<Section> sections(String name, String markdown) {
        List<Section> out = new ArrayList<>();
        String document = name;
        String h1 = null;
        String h2 = null;
        String current = null;
        StringBuilder body = new StringBuilder();
        boolean fenced = false;
        for (String line : markdown.split("\r?\n", -1)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            }
            int level = fenced ? 0 : headingLevel(line);
            if (level == 0 || level > 3) {
                body.append(line).append('\n');
                continue;
            }
            add(out, document, current, body);
            body.setLength(0);
            String text = line.substring(level).strip();
            if (level == 1) {
                h1 = text;
                h2 = null;
                if (document.equals(name)) {
                    document = text + " (" + name + ")";
                }
                current = text;
            } else if (level == 2) {
                h2 = text;
                current = h1 == null ? text : h1 + " › " + text;
            } else {
                current = (h2 != null ? h2 : h1 != null ? h1 : name) + " › " + text;
            }
        }
        add(out, document, current, body);
        return out;
    }

    private void add(List<Section> out, String document, String title, StringBuilder body) {
        String text = body.toString().strip();
        if (text.length() >= config.minSectionChars()) {
            out.add(new Section(document, title == null ? document : title, text));
        }
    }

    private static int headingLevel(String line) {
        int level = 0;
        while (level < line.length() && line.charAt(level) == '#') {
            level++;
        }
        return level > 0 && level < line.length() && line.charAt(level) == ' ' ? level : 0;
    }

    /** Paragraph-aligned pieces of at most {@code max-sample-chars} (a longer paragraph is cut). */
    List<String> chunks(String body) {
        int max = config.maxSampleChars();
        List<String> out = new ArrayList<>();
        StringBuilder chunk = new StringBuilder();
        for (String paragraph : body.split("\n\\s*\n")) {
            String p = paragraph.strip();
            while (p.length() > max) {
                flush(out, chunk);
                out.add(p.substring(0, max));
                p = p.substring(max).strip();
            }
            if (chunk.length() > 0 && chunk.length() + 2 + p.length() > max) {
                flush(out, chunk);
            }
            if (!p.isEmpty()) {
                chunk.append(chunk.length() > 0 ? "\n\n" : "").append(p);
            }
        }
        flush(out, chunk);
        return out;
    }

    private static void flush(List<String> out, StringBuilder chunk) {
        if (chunk.length() > 0) {
            out.add(chunk.toString());
            chunk.setLength(0);
        }
    }
}
