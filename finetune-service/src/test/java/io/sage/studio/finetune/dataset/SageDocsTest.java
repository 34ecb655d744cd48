package io.sage.studio.finetune.dataset;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.finetune.config.FinetuneConfig;

class SageDocsTest {

    private final SageDocs docs = new SageDocs(null, new DocsSettings(20, 60));

    /** Docs settings for tests. */
    record DocsSettings(int minSectionChars, int maxSampleChars) implements FinetuneConfig.Docs {}

    @Test
    void splitsAtHeadingsOutsideCodeFencesAndSkipsTinySections() {
        String md = """
                # Guide
                Intro paragraph that is long enough to keep.

                ## Install
                Run the installer with care, then check it.
                ```bash
                # not a heading
                ./install
                ```
                ## Tiny
                short
                ### Deep part
                This third-level section has plenty of words.
                """;
        List<SageDocs.Section> sections = docs.sections("docs/GUIDE.md", md);
        assertThat(sections)
                .extracting(SageDocs.Section::title)
                .containsExactly("Guide", "Guide › Install", "Tiny › Deep part");
        assertThat(sections.get(1).body()).contains("# not a heading").contains("./install");
        assertThat(sections.get(0).document()).isEqualTo("Guide (docs/GUIDE.md)");
    }

    @Test
    void longSectionsAreCutAtParagraphs() {
        String body = "a".repeat(30) + "\n\n" + "b".repeat(30) + "\n\n" + "c".repeat(130);
        assertThat(docs.chunks(body))
                .containsExactly("a".repeat(30), "b".repeat(30), "c".repeat(60), "c".repeat(60), "c".repeat(10));
    }
}
