package io.sage.studio.gateway.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.Test;

import io.sage.studio.testkit.ServiceBoundaries;

/** The service's boundaries that a compiler does not check: the shared ones and those of its own layout. */
class GatewayArchitectureTest {

    private static final ServiceBoundaries SERVICE = ServiceBoundaries.of("io.sage.studio.gateway");

    @Test
    void sharedBoundariesHold() {
        SERVICE.checkSharedRules();
    }

    /** The {@code /v1} edge uses the model backends' client through its interface, whichever implementation runs. */
    @Test
    void edgeUsesTheBackendClientInterface() {
        SERVICE.check(noClasses()
                .that()
                .resideInAPackage("io.sage.studio.gateway.openai..")
                .should()
                .dependOnClassesThat()
                .haveSimpleNameStartingWith("BackendConnection")
                .orShould()
                .dependOnClassesThat()
                .haveSimpleName("VertxBackendClient"));
    }
}
