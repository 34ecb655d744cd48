package io.sage.studio.common.audit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.sage.studio.common.auth.TokenModeProfile;
import io.sage.studio.kafka.KafkaTestResource;

/** The token-mode test service with the audit log on and the test broker (the other tests run without both). */
public class AuditProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(new TokenModeProfile().getConfigOverrides());
        config.put("studio.audit.enabled", "true");
        config.put("quarkus.application.name", "audit-test-service");
        return config;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(KafkaTestResource.class));
    }
}
