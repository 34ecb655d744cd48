package io.sage.studio.common.auth;

import static io.sage.studio.common.auth.AccessPolicy.canonicalPath;
import static io.sage.studio.common.auth.AccessPolicy.required;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.sage.studio.common.auth.AccessPolicy.Access;

class AccessPolicyTest {

    @Test
    void readsNeedAViewerAndTheWebUiNothing() {
        assertThat(required("GET", "/api/finetune/tasks")).isEqualTo(Access.VIEWER);
        assertThat(required("GET", "/api/finetune/tasks/stream")).isEqualTo(Access.VIEWER);
        assertThat(required("HEAD", "/api/finetune/tasks/t1/download")).isEqualTo(Access.VIEWER);
        assertThat(required("GET", "/api/system/gpu-info")).isEqualTo(Access.VIEWER);
        assertThat(required("GET", "/q/openapi")).isEqualTo(Access.VIEWER);
        assertThat(required("GET", "/")).isEqualTo(Access.OPEN);
        assertThat(required("GET", "/assets/index-3f2a.js")).isEqualTo(Access.OPEN);
        assertThat(required("GET", "/q/health/ready")).isEqualTo(Access.OPEN);
        assertThat(required("GET", "/q/metrics")).isEqualTo(Access.VIEWER);
        assertThat(required("OPTIONS", "/api/finetune/create")).isEqualTo(Access.OPEN);
    }

    @Test
    void trainingNeedsATrainer() {
        assertThat(required("POST", "/api/finetune/upload-dataset")).isEqualTo(Access.TRAINER);
        assertThat(required("POST", "/api/finetune/prepare-sage-docs")).isEqualTo(Access.TRAINER);
        assertThat(required("POST", "/api/finetune/create")).isEqualTo(Access.TRAINER);
        assertThat(required("post", "/api/finetune/tasks/t1/cancel")).isEqualTo(Access.TRAINER);
        assertThat(required("DELETE", "/api/finetune/tasks/t1")).isEqualTo(Access.TRAINER);
        assertThat(required("DELETE", "/api/finetune/datasets/ds1")).isEqualTo(Access.TRAINER);
        assertThat(required("POST", "/api/system/memory-estimate")).isEqualTo(Access.VIEWER);
    }

    @Test
    void switchingSettingsAndAnythingUnlistedNeedAnAdmin() {
        assertThat(required("POST", "/api/finetune/switch-model")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/finetune/use-as-backend")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/chat/switch")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/chat/serving")).isEqualTo(Access.ADMIN);
        assertThat(required("DELETE", "/api/chat/serving/ft-a")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/chat/rollouts")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/chat/rollouts/r1/promote")).isEqualTo(Access.ADMIN);
        assertThat(required("PUT", "/api/settings")).isEqualTo(Access.ADMIN);
        assertThat(required("DELETE", "/api/finetune/tasks/t1/files")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/api/anything/new")).isEqualTo(Access.ADMIN);
        assertThat(required("POST", "/")).isEqualTo(Access.ADMIN);
    }

    @Test
    void theGatewaysLoadOnDemandNeedsOnlyAViewerSoTheServicesTokenPasses() {
        assertThat(required("POST", "/api/chat/serving/on-demand")).isEqualTo(Access.VIEWER);
    }

    @Test
    void theChatApiHasItsOwnAccess() {
        assertThat(required("POST", "/v1/chat/completions")).isEqualTo(Access.CHAT_API);
        assertThat(required("GET", "/v1/models")).isEqualTo(Access.CHAT_API);
        assertThat(required("POST", "/v1")).isEqualTo(Access.CHAT_API);
        assertThat(required("POST", "/v1x/chat")).isEqualTo(Access.ADMIN);
    }

    @Test
    void canonicalPathDropsMatrixParametersAndStraySlashes() {
        assertThat(canonicalPath("/api;jsessionid=1/finetune//create/")).isEqualTo("/api/finetune/create");
        assertThat(canonicalPath("/api/finetune/tasks/t1;x/cancel")).isEqualTo("/api/finetune/tasks/t1/cancel");
        assertThat(canonicalPath("")).isEqualTo("/");
        assertThat(canonicalPath("//")).isEqualTo("/");
        assertThat(required("POST", canonicalPath("/api;x=1/finetune/create"))).isEqualTo(Access.TRAINER);
    }

    @Test
    void minimumRolesFollowTheAccessLevels() {
        assertThat(Access.OPEN.minimumRole()).isNull();
        assertThat(Access.CHAT_API.minimumRole()).isEqualTo(StudioRole.VIEWER);
        assertThat(Access.ADMIN.minimumRole()).isEqualTo(StudioRole.ADMIN);
        assertThat(StudioRole.ADMIN.includes(StudioRole.TRAINER)).isTrue();
        assertThat(StudioRole.TRAINER.includes(StudioRole.ADMIN)).isFalse();
        assertThat(StudioRole.parse(" Admin ")).contains(StudioRole.ADMIN);
        assertThat(StudioRole.parse("root")).isEmpty();
    }
}
