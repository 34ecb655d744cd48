package io.sage.studio.gateway.ui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpaFallbackTest {

    @Test
    void uiRoutesLoadTheAppButApisAndFilesDoNot() {
        assertThat(SpaFallback.isAppPage("/chat")).isTrue();
        assertThat(SpaFallback.isAppPage("/finetune/tasks/ft-1")).isTrue();
        assertThat(SpaFallback.isAppPage("/")).isFalse();
        assertThat(SpaFallback.isAppPage("/api/finetune/tasks")).isFalse();
        assertThat(SpaFallback.isAppPage("/api")).isFalse();
        assertThat(SpaFallback.isAppPage("/v1/models")).isFalse();
        assertThat(SpaFallback.isAppPage("/q/health/ready")).isFalse();
        assertThat(SpaFallback.isAppPage("/assets/index-abc.js")).isFalse();
        assertThat(SpaFallback.isAppPage("/favicon.ico")).isFalse();
        assertThat(SpaFallback.isAppPage("/apiary")).isTrue();
    }
}
