package io.sage.studio.common.error;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.util.HashMap;
import java.util.Map;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * Boolean and whole-number parameters through the real REST stack: what parses is passed on, what does not is a 400
 * {@code invalid_field} naming the parameter (before: {@code ?force=yes} was silently false, {@code ?tail=abc} a 404).
 */
@QuarkusTest
class StrictParamsTest {

    /** Parameters typed as the services type theirs. */
    @Path("/test/params")
    public static class Params {

        @GET
        @Path("/{n}")
        public Map<String, Object> get(
                @PathParam("n") int n,
                @QueryParam("force") @DefaultValue("false") boolean force,
                @QueryParam("gate") Boolean gate,
                @QueryParam("tail") @DefaultValue("200") int tail,
                @QueryParam("since") Long since) {
            Map<String, Object> seen = new HashMap<>();
            seen.put("n", n);
            seen.put("force", force);
            seen.put("gate", gate);
            seen.put("tail", tail);
            seen.put("since", since);
            return seen;
        }
    }

    @Test
    void valuesThatParseArePassedOnAndDefaultsStillApply() {
        given().get("/test/params/7")
                .then()
                .statusCode(200)
                .body("n", equalTo(7))
                .body("force", equalTo(false))
                .body("gate", nullValue())
                .body("tail", equalTo(200))
                .body("since", nullValue());
        // an empty value is no value (the framework's reading): the default
        given().get("/test/params/7?force=&tail=")
                .then()
                .statusCode(200)
                .body("force", equalTo(false))
                .body("tail", equalTo(200));
        given().get("/test/params/-1?force=TRUE&gate=false&tail=0&since=1733500000000")
                .then()
                .statusCode(200)
                .body("n", equalTo(-1))
                .body("force", equalTo(true))
                .body("gate", equalTo(false))
                .body("tail", equalTo(0))
                .body("since", equalTo(1733500000000L));
    }

    @Test
    void aBooleanThatIsNeitherTrueNorFalseIsRefusedNotReadAsFalse() {
        for (String query : new String[] {"force=yes", "force=1", "force=no", "gate=on"}) {
            String name = query.substring(0, query.indexOf('='));
            given().get("/test/params/1?" + query)
                    .then()
                    .statusCode(400)
                    .body("error.code", equalTo("invalid_field"))
                    .body("error.details[0].field", equalTo(name))
                    .body(
                            "error.message",
                            equalTo(name + " must be true or false, got '" + query.substring(name.length() + 1) + "'"));
        }
    }

    @Test
    void aNumberThatDoesNotParseIsA400NamingItNotA404() {
        given().get("/test/params/1?tail=abc")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_field"))
                .body("error.details[0].field", equalTo("tail"))
                .body("error.message", equalTo("tail must be a whole number, got 'abc'"));
        given().get("/test/params/1?since=99999999999999999999")
                .then()
                .statusCode(400)
                .body("error.details[0].field", equalTo("since"));
        given().get("/test/params/x").then().statusCode(400).body("error.details[0].field", equalTo("n"));
    }

    @Test
    void aLongValueIsEchoedOnlyInPart() {
        String value = "y".repeat(500);
        given().get("/test/params/1?force=" + value)
                .then()
                .statusCode(400)
                .body("error.message", equalTo("force must be true or false, got '" + "y".repeat(64) + "…'"));
    }
}
