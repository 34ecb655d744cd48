package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A packaged service is stale when one of its inputs changed after it, and only then. */
class BuildFreshnessTest {

    private static final Instant PACKAGED = Instant.parse("2026-11-01T12:00:00Z");

    @TempDir
    Path repo;

    private final Component gateway =
            new Component("gateway-adapter", "gateway-adapter", 8080, "STUDIO_GATEWAY_PORT", true);
    private final Component finetune =
            new Component("finetune-service", "finetune-service", 8081, "STUDIO_FINETUNE_PORT", true);

    private Path file(String relative, Instant modified) throws IOException {
        Path path = repo.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, relative);
        Files.setLastModifiedTime(path, FileTime.from(modified));
        return path;
    }

    private void packaged(Component service) throws IOException {
        file(service.module() + "/target/quarkus-app/quarkus-run.jar", PACKAGED);
    }

    @Test
    void aJarNewerThanEverySourceIsCurrentAndAMissingJarIsNotReportedHere() throws IOException {
        file("pom.xml", PACKAGED.minusSeconds(60));
        file("finetune-service/src/main/java/A.java", PACKAGED.minusSeconds(60));
        file("studio-common/src/main/java/B.java", PACKAGED.minusSeconds(60));
        assertThat(new BuildFreshness(repo).changedSince(finetune)).isEmpty();
        packaged(finetune);
        assertThat(new BuildFreshness(repo).changedSince(finetune)).isEmpty();
    }

    @Test
    void anEditInTheModuleTheSharedModulesOrTheParentPomMakesItStale() throws IOException {
        packaged(finetune);
        file("finetune-service/src/main/java/A.java", PACKAGED.minusSeconds(60));
        for (String changed : new String[] {
            "finetune-service/src/main/resources/application.properties",
            "studio-common/src/main/java/io/sage/Common.java",
            "studio-events/pom.xml",
            "pom.xml"
        }) {
            Path path = file(changed, PACKAGED.plusSeconds(5));
            assertThat(new BuildFreshness(repo).changedSince(finetune)).contains(Path.of(changed));
            Files.setLastModifiedTime(path, FileTime.from(PACKAGED.minusSeconds(5)));
        }
        assertThat(new BuildFreshness(repo).changedSince(finetune)).isEmpty();
    }

    @Test
    void theUiCountsForTheGatewayOnlyAndTestsOrOtherModulesCountForNobody() throws IOException {
        packaged(finetune);
        packaged(gateway);
        file("studio-ui/src/App.tsx", PACKAGED.plusSeconds(5));
        file("finetune-service/src/test/java/ATest.java", PACKAGED.plusSeconds(5));
        file("chat-switch-service/src/main/java/C.java", PACKAGED.plusSeconds(5));
        file("studio-ui/node_modules/x/index.js", PACKAGED.plusSeconds(5));
        assertThat(new BuildFreshness(repo).changedSince(gateway)).contains(Path.of("studio-ui/src/App.tsx"));
        assertThat(new BuildFreshness(repo).changedSince(finetune)).isEmpty();
    }
}
