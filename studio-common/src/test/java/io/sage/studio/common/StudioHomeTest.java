package io.sage.studio.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.ErrorKind;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.common.models.BaseModelCatalog;

class StudioHomeTest {

    @TempDir
    Path tmp;

    @Test
    void acceptsPathsInsideTheHomeAbsoluteOrRelative() throws Exception {
        StudioHome home = StudioHome.at(tmp.resolve("home"));
        Path data = Files.createDirectories(home.datasetsDir().resolve("d1"));
        assertThat(home.resolveInside(data.toString(), "dataset_file")).isEqualTo(data.toRealPath());
        assertThat(home.resolveInside("studio/datasets/d1", "dataset_file")).isEqualTo(data.toRealPath());
    }

    @Test
    void rejectsDotDotEscapesAndSymlinksOutOfTheHome() throws Exception {
        StudioHome home = StudioHome.at(tmp.resolve("home"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(home.root().resolve("link"), outside);

        for (String bad : new String[] {"../outside", "/etc/passwd", "link/secret", home.root() + "/../outside"}) {
            assertThatThrownBy(() -> home.resolveInside(bad, "model_path"))
                    .isInstanceOfSatisfying(StudioException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.INVALID);
                        assertThat(e.code()).isEqualTo("path_outside_home");
                    });
        }
    }

    @Test
    void builtInCatalogueHasTheDefaultSuggestions() {
        BaseModelCatalog catalog = BaseModelCatalog.builtInCatalog();
        assertThat(catalog.find("Qwen/Qwen2.5-0.5B-Instruct"))
                .get()
                .satisfies(m -> assertThat(m.hiddenSize()).isEqualTo(896));
        assertThat(catalog.find("Qwen/Qwen2.5-Coder-1.5B-Instruct")).isPresent();
        assertThat(catalog.find("Qwen/Qwen2.5-1.5B-Instruct")).isPresent();
    }
}
