package io.sage.studio.common.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;

import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;

/**
 * Credentials for calls from one studio service to another: register it on a REST client interface with
 * {@code @RegisterClientHeaders(StudioClientHeaders.class)}. Inside a user's request the user's
 * {@code Authorization} header is passed on (the callee sees the same caller); outside one (background work) the
 * {@link ServiceToken} is sent. A header the client sets itself is left alone.
 */
@ApplicationScoped
public class StudioClientHeaders implements ClientHeadersFactory {

    private final ServiceToken serviceToken;

    public StudioClientHeaders(ServiceToken serviceToken) {
        this.serviceToken = serviceToken;
    }

    @Override
    public MultivaluedMap<String, String> update(
            MultivaluedMap<String, String> incomingHeaders, MultivaluedMap<String, String> clientOutgoingHeaders) {
        MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
        if (clientOutgoingHeaders.containsKey(HttpHeaders.AUTHORIZATION)) {
            return headers;
        }
        String incoming = incomingHeaders == null ? null : incomingHeaders.getFirst(HttpHeaders.AUTHORIZATION);
        if (incoming != null) {
            headers.putSingle(HttpHeaders.AUTHORIZATION, incoming);
        } else {
            serviceToken.authorization().ifPresent(value -> headers.putSingle(HttpHeaders.AUTHORIZATION, value));
        }
        return headers;
    }
}
