package io.sage.studio.finetune.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.Test;

import io.sage.studio.testkit.ServiceBoundaries;

/** The service's boundaries that a compiler does not check: the shared ones and those of its own layout. */
class FinetuneArchitectureTest {

    private static final ServiceBoundaries SERVICE = ServiceBoundaries.of("io.sage.studio.finetune");

    @Test
    void sharedBoundariesHold() {
        SERVICE.checkSharedRules();
    }

    /** Resources map, delegate and choose the status; the executors' internals stay behind their interface. */
    @Test
    void resourcesDoNotReachExecutorInternals() {
        SERVICE.check(noClasses()
                .that()
                .resideInAPackage("..finetune.api..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..finetune.executor.local..", "..finetune.executor.kubernetes.."));
    }

    /** The task machinery never reaches back into the REST layer (its view cache is behind task.TaskViews). */
    @Test
    void taskMachineryDoesNotDependOnTheApi() {
        SERVICE.check(noClasses()
                .that()
                .resideInAPackage("..finetune.task..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("..finetune.api.."));
    }
}
