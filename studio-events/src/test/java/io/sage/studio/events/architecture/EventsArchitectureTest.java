package io.sage.studio.events.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

/** The event contracts are the services' common language: they depend on no service and no studio module. */
class EventsArchitectureTest {

    /** The module's own classes (tests left out), read once. */
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sage.studio.events");

    static final ArchRule dependsOnNoStudioModule = noClasses()
            .that()
            .resideInAPackage("io.sage.studio.events..")
            .should()
            .dependOnClassesThat(
                    resideInAPackage("io.sage.studio..").and(resideOutsideOfPackage("io.sage.studio.events..")));

    @Test
    void dependsOnNoStudioModule() {
        dependsOnNoStudioModule.check(CLASSES);
    }
}
