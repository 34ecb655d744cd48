package io.sage.studio.gpu.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.Test;

import io.sage.studio.testkit.ServiceBoundaries;

/** The service's boundaries that a compiler does not check: the shared ones and those of its own layout. */
class GpuProbeArchitectureTest {

    private static final ServiceBoundaries SERVICE = ServiceBoundaries.of("io.sage.studio.gpu");

    @Test
    void sharedBoundariesHold() {
        SERVICE.checkSharedRules();
    }

    /** Resources map, delegate and choose the status; NVML stays behind the GpuProbe interface. */
    @Test
    void resourcesDoNotReachNvml() {
        SERVICE.check(noClasses()
                .that()
                .resideInAPackage("..gpu.api..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("..gpu.nvml.."));
    }
}
