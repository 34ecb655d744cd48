package io.sage.studio.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OwningServiceTest {

    @ParameterizedTest
    @CsvSource({
        "/api/finetune/tasks, FINETUNE",
        "/api/finetune/tasks/t1/download, FINETUNE",
        "/api/finetune/upload-dataset, FINETUNE",
        "/api/finetune/models, FINETUNE",
        "/api/finetune/switch-model, CHAT",
        "/api/finetune/use-as-backend, CHAT",
        "/api/finetune/current-model, CHAT",
        "/api/finetune/current-model-history, FINETUNE",
        "/api/chat, CHAT",
        "/api/chat/switch/op-1, CHAT",
        "/api/chat/backends, CHAT",
        "/api/system/gpu-info, GPU",
        "/api/system/memory-estimate, GPU",
    })
    void eachPathHasOneOwner(String path, OwningService owner) {
        assertThat(OwningService.of(path)).isEqualTo(owner);
    }
}
