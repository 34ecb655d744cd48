package io.sage.studio.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;

/**
 * The boundaries every service keeps and a compiler does not check (issue 16), as ArchUnit rules over one service's
 * main classes: it talks to the other services over HTTP and Kafka only, never through their classes; it logs
 * through JBoss Logging, never {@code java.util.logging} or the standard streams; HTTP stays at the edge (only
 * resources in {@code ..api..}, {@code @Path} classes and REST client interfaces import {@code jakarta.ws.rs}; the
 * domain throws {@code StudioException} with an error code); its config mappings carry no Bean Validation (see
 * {@code configMappingsWithoutBeanValidation}). Each service's {@code architecture} test checks these with
 * {@link #checkSharedRules()} and adds the rules of its own layout with {@link #check(ArchRule)}.
 */
public final class ServiceBoundaries {

    /** The root package of every module that runs as its own process. */
    private static final List<String> SERVICE_ROOTS = List.of(
            "io.sage.studio.finetune",
            "io.sage.studio.chat",
            "io.sage.studio.gpu",
            "io.sage.studio.gateway",
            "io.sage.studio.cli");

    private final String root;
    private final JavaClasses classes;

    private ServiceBoundaries(String root, JavaClasses classes) {
        this.root = root;
        this.classes = classes;
    }

    /** The main classes (tests left out) of the service whose root package is {@code root}, read once. */
    public static ServiceBoundaries of(String root) {
        if (!SERVICE_ROOTS.contains(root)) {
            throw new IllegalArgumentException("not a service root package: " + root);
        }
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(root);
        return new ServiceBoundaries(root, classes);
    }

    /** The rules every service keeps (see the class comment); one report names every violation of all of them. */
    public void checkSharedRules() {
        CompositeArchRule.of(noOtherServicesClasses())
                .and(GeneralCodingRules.NO_CLASSES_SHOULD_USE_JAVA_UTIL_LOGGING)
                .and(GeneralCodingRules.NO_CLASSES_SHOULD_ACCESS_STANDARD_STREAMS)
                .and(domainDoesNotSpeakJaxRs())
                .and(configMappingsWithoutBeanValidation())
                .check(classes);
    }

    /** A rule of this service's own layout, checked against the same classes. */
    public void check(ArchRule rule) {
        rule.check(classes);
    }

    private ArchRule noOtherServicesClasses() {
        String[] others = SERVICE_ROOTS.stream()
                .filter(other -> !other.equals(root))
                .map(other -> other + "..")
                .toArray(String[]::new);
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(others)
                .as("no class of " + root + " uses another service's classes " + Arrays.toString(others));
    }

    /**
     * Settings are checked with {@code io.sage.studio.common.config} ({@code @Range}, {@code @NotBlank},
     * {@code @Holds}): one Bean Validation constraint on any config mapping makes Quarkus build a validator over every
     * config class of every extension when the service starts, a third of its start-up work.
     */
    private ArchRule configMappingsWithoutBeanValidation() {
        return noClasses()
                .that(CONFIG_MAPPING_OR_GROUP)
                .should()
                .dependOnClassesThat()
                .resideInAPackage("jakarta.validation..")
                .as("config mappings of " + root + " use io.sage.studio.common.config checks, not Bean Validation");
    }

    /** A {@code @ConfigMapping} interface or an interface nested in one (its groups). */
    private static final DescribedPredicate<JavaClass> CONFIG_MAPPING_OR_GROUP =
            new DescribedPredicate<>("are config mappings or their groups") {
                @Override
                public boolean test(JavaClass type) {
                    for (Optional<JavaClass> c = Optional.of(type);
                            c.isPresent();
                            c = c.get().getEnclosingClass()) {
                        if (c.get().isAnnotatedWith("io.smallrye.config.ConfigMapping")) {
                            return true;
                        }
                    }
                    return false;
                }
            };

    private ArchRule domainDoesNotSpeakJaxRs() {
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .and()
                .resideOutsideOfPackage("..api..")
                .and()
                .areNotAnnotatedWith("jakarta.ws.rs.Path")
                .and()
                .areNotAnnotatedWith("org.eclipse.microprofile.rest.client.inject.RegisterRestClient")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("jakarta.ws.rs..")
                .as("code of " + root + " outside the resources does not import jakarta.ws.rs (HTTP at the edge)");
    }
}
