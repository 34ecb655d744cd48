package io.sage.studio.gpu.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import jakarta.ws.rs.Path;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;

/**
 * The boundaries of the service that a compiler does not check (issue 16): it talks to the other services over HTTP
 * and Kafka only, never through their classes; it logs through JBoss Logging, never {@code java.util.logging} or
 * the standard streams; HTTP stays at the edge.
 */
class GpuProbeArchitectureTest {

    /** The module's own classes (tests left out), read once. */
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sage.studio.gpu");

    static final ArchRule noOtherServicesClasses = noClasses()
            .that()
            .resideInAPackage("io.sage.studio.gpu..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "io.sage.studio.finetune..",
                    "io.sage.studio.chat..",
                    "io.sage.studio.gateway..",
                    "io.sage.studio.cli..");

    static final ArchRule noJavaUtilLogging = GeneralCodingRules.NO_CLASSES_SHOULD_USE_JAVA_UTIL_LOGGING;

    static final ArchRule noStandardStreams = GeneralCodingRules.NO_CLASSES_SHOULD_ACCESS_STANDARD_STREAMS;

    /** Resources map, delegate and choose the status; the executors' internals stay behind their interface. */
    static final ArchRule resourcesDoNotReachExecutorInternals = noClasses()
            .that()
            .resideInAPackage("..gpu.api..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("..gpu.nvml..");

    /**
     * Domain and service code throws the studio's own exceptions; only resources ({@code ..api..}, {@code @Path}),
     * exception mappers there, and REST client interfaces speak JAX-RS.
     */
    static final ArchRule domainDoesNotSpeakJaxRs = noClasses()
            .that()
            .resideInAPackage("io.sage.studio.gpu..")
            .and()
            .resideOutsideOfPackage("..api..")
            .and()
            .areNotAnnotatedWith(Path.class)
            .and()
            .areNotAnnotatedWith(RegisterRestClient.class)
            .should()
            .dependOnClassesThat()
            .resideInAPackage("jakarta.ws.rs..");

    @Test
    void noOtherServicesClasses() {
        noOtherServicesClasses.check(CLASSES);
    }

    @Test
    void noJavaUtilLogging() {
        noJavaUtilLogging.check(CLASSES);
    }

    @Test
    void noStandardStreams() {
        noStandardStreams.check(CLASSES);
    }

    @Test
    void resourcesDoNotReachExecutorInternals() {
        resourcesDoNotReachExecutorInternals.check(CLASSES);
    }

    @Test
    void domainDoesNotSpeakJaxRs() {
        domainDoesNotSpeakJaxRs.check(CLASSES);
    }
}
