package io.sage.studio.chat.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.Test;

import io.sage.studio.testkit.ServiceBoundaries;

/** The service's boundaries that a compiler does not check: the shared ones and those of its own layout. */
class ChatSwitchArchitectureTest {

    private static final ServiceBoundaries SERVICE = ServiceBoundaries.of("io.sage.studio.chat");

    @Test
    void sharedBoundariesHold() {
        SERVICE.checkSharedRules();
    }

    /** Resources map, delegate and choose the status; the runtimes' internals stay behind their interface. */
    @Test
    void resourcesDoNotReachRuntimeInternals() {
        SERVICE.check(noClasses()
                .that()
                .resideInAPackage("..chat.api..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..chat.runtime.local..", "..chat.runtime.kubernetes..", "..chat.runtime.cloud.."));
    }
}
