package io.sage.studio.common.auth;

import static io.sage.studio.common.auth.Authenticator.checkSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AuthenticatorSettingsTest {

    @Test
    void noAuthenticationIsOnlyAllowedOnLoopback() {
        for (String host : new String[] {"127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"}) {
            assertThatCode(() -> checkSettings(AuthMode.NONE, host, false, false, false))
                    .as(host)
                    .doesNotThrowAnyException();
        }
        for (String host : new String[] {"0.0.0.0", "::", "", "10.1.2.3", "studio.example.com"}) {
            assertThatThrownBy(() -> checkSettings(AuthMode.NONE, host, false, false, false))
                    .as(host)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("studio.auth.mode=none")
                    .hasMessageContaining("set studio.auth.mode to token or oidc");
        }
    }

    @Test
    void tokenModeNeedsATokensFile() {
        assertThatThrownBy(() -> checkSettings(AuthMode.TOKEN, "0.0.0.0", false, false, false))
                .hasMessageContaining("studio.auth.tokens-file");
        assertThatCode(() -> checkSettings(AuthMode.TOKEN, "0.0.0.0", true, false, false))
                .doesNotThrowAnyException();
    }

    @Test
    void oidcModeNeedsAnEnabledTenantThatKnowsItsProvider() {
        assertThatThrownBy(() -> checkSettings(AuthMode.OIDC, "0.0.0.0", false, false, true))
                .hasMessageContaining("quarkus.oidc.tenant-enabled=true");
        assertThatThrownBy(() -> checkSettings(AuthMode.OIDC, "0.0.0.0", false, true, false))
                .hasMessageContaining("quarkus.oidc.auth-server-url");
        assertThatCode(() -> checkSettings(AuthMode.OIDC, "0.0.0.0", false, true, true))
                .doesNotThrowAnyException();
    }

    @Test
    void loopbackDetection() {
        assertThat(Authenticator.isLoopback("127.0.0.1")).isTrue();
        assertThat(Authenticator.isLoopback("0.0.0.0")).isFalse();
        assertThat(Authenticator.isLoopback("no-such-host.invalid")).isFalse();
    }
}
