package io.sage.studio.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/** The YAML stream Helm rendered, split into documents and parsed with the fabric8 model. */
public final class Rendered {

    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: (\\S+)\\s*$");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final String yaml;
    private final List<Document> documents;

    public Rendered(String yaml) {
        this.yaml = yaml;
        List<Document> docs = new ArrayList<>();
        for (String part : SEPARATOR.split(yaml)) {
            String body = part.strip();
            if (body.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
                continue;
            }
            Matcher source = SOURCE.matcher(body);
            docs.add(new Document(source.find() ? source.group(1) : "", body + "\n"));
        }
        this.documents = List.copyOf(docs);
    }

    public String yaml() {
        return yaml;
    }

    public List<Document> documents() {
        return documents;
    }

    /** Every object, parsed into its fabric8 model class (an unknown kind fails). */
    public List<HasMetadata> objects() {
        return documents.stream().map(Document::object).toList();
    }

    /** The documents grouped by the template that produced them, in rendering order. */
    public Map<String, List<Document>> bySource() {
        Map<String, List<Document>> grouped = new LinkedHashMap<>();
        documents.forEach(doc ->
                grouped.computeIfAbsent(doc.source(), key -> new ArrayList<>()).add(doc));
        return grouped;
    }

    /** One rendered object: the template it came from and its YAML. */
    public record Document(String source, String yaml) {

        public HasMetadata object() {
            Object parsed = SERIALIZATION.unmarshal(yaml);
            if (!(parsed instanceof HasMetadata object)) {
                throw new IllegalStateException("not a Kubernetes object (" + source + "):\n" + yaml);
            }
            return object;
        }
    }
}
