package io.sage.studio.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

class UpstreamTargetTest {

    @Test
    void requestPathsAreAppendedToTheBasePath() {
        RequestOptions options =
                UpstreamTarget.parse("http://10.0.0.5:8001", null).options(HttpMethod.POST, "/v1/chat/completions");
        assertThat(options.getHost()).isEqualTo("10.0.0.5");
        assertThat(options.getPort()).isEqualTo(8001);
        assertThat(options.isSsl()).isFalse();
        assertThat(options.getURI()).isEqualTo("/v1/chat/completions");
    }

    @Test
    void aTrailingV1OrSlashIsNotDoubled() {
        assertThat(UpstreamTarget.parse("https://api.example.com/compatible-mode/v1/", null)
                        .options(HttpMethod.GET, "/v1/models?x=1")
                        .getURI())
                .isEqualTo("/compatible-mode/v1/models?x=1");
        RequestOptions cloud =
                UpstreamTarget.parse("https://api.example.com/v1", null).options(HttpMethod.GET, "/v1/models");
        assertThat(cloud.getURI()).isEqualTo("/v1/models");
        assertThat(cloud.getPort()).isEqualTo(443);
        assertThat(cloud.isSsl()).isTrue();
    }

    @Test
    void unusableUrlsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> UpstreamTarget.parse("ftp://host", null)).hasMessageContaining("not http(s)");
        assertThatThrownBy(() -> UpstreamTarget.parse("http://", null)).hasMessageContaining("http://");
        assertThatThrownBy(() -> UpstreamTarget.parse(" ", null)).hasMessageContaining("no base URL");
        assertThatThrownBy(() -> UpstreamTarget.parse("http://h:1/?q=1", null)).hasMessageContaining("query");
    }

    @Test
    void theAuthorizationSecretNeverShowsInToString() {
        UpstreamTarget target = UpstreamTarget.parse("https://api.example.com/v1", "Bearer sk-secret");
        assertThat(target.authorization()).isEqualTo("Bearer sk-secret");
        assertThat(target.toString()).isEqualTo("https://api.example.com/v1").doesNotContain("sk-secret");
    }
}
