package io.sage.studio.gateway.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's one stand-in backend as the gateway's active route, registered as a static
 * {@code @RegisterExtension} field: started before the class's first test, emptied of what it received and routed
 * to again before each test (so a test that switched the route leaves none behind), closed after the last test.
 * Before-each runs after the class's {@code @BeforeAll}, so a token the route needs
 * ({@link RoutePublisher#statusToken}) can be set there.
 */
public final class ActiveStandIn implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private final String servedModel;
    private StandInBackend backend;

    public ActiveStandIn(String servedModel) {
        this.servedModel = servedModel;
    }

    /** The running backend (between the class's first and last test). */
    public StandInBackend backend() {
        if (backend == null) {
            throw new IllegalStateException("the stand-in " + servedModel + " runs only while its test class does");
        }
        return backend;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        backend = StandInBackend.start(servedModel);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        backend.reset();
        RoutePublisher.active(backend);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        backend.close();
    }
}
