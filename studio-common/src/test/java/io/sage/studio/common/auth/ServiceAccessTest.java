package io.sage.studio.common.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.auth.AccessPolicy.Access;
import io.sage.studio.common.auth.tables.ChatSwitchAccess;
import io.sage.studio.common.auth.tables.FinetuneAccess;
import io.sage.studio.common.auth.tables.GpuProbeAccess;

class ServiceAccessTest {

    @Test
    void aTableCannotNameAnotherServicesPaths() {
        assertThatThrownBy(() -> new ServiceAccess(
                        "gpu-probe-service",
                        List.of("/api/system/**"),
                        List.of(AccessRule.post("/api/finetune/create", Access.VIEWER))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/api/finetune/create");
    }

    @Test
    void eachServiceOwnsItsPaths() {
        assertThat(FinetuneAccess.TABLE.owns("/api/finetune/tasks/t1")).isTrue();
        assertThat(ChatSwitchAccess.TABLE.owns("/api/finetune/switch-model")).isTrue();
        assertThat(ChatSwitchAccess.TABLE.owns("/api/chat/switch/op-1")).isTrue();
        assertThat(ChatSwitchAccess.TABLE.owns("/api/finetune/create")).isFalse();
        assertThat(GpuProbeAccess.TABLE.owns("/api/system/gpu-info")).isTrue();
        assertThat(GpuProbeAccess.TABLE.owns("/api/systems")).isFalse();
    }

    @Test
    void noTwoTablesHaveRulesForTheSamePath() {
        List<ServiceAccess> tables = AccessPolicy.SERVICES;
        for (ServiceAccess table : tables) {
            for (AccessRule rule : table.rules()) {
                String sample = rule.pattern().replace("/**", "/x").replace("*", "x");
                for (ServiceAccess other : tables) {
                    if (other != table) {
                        assertThat(other.rules())
                                .as(table.service() + " " + rule.pattern() + " in " + other.service())
                                .noneMatch(o -> o.matches(
                                        rule.methods().isEmpty()
                                                ? "POST"
                                                : rule.methods().iterator().next(),
                                        sample));
                    }
                }
            }
        }
    }
}
