package io.sage.studio.common.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class HttpStatusesTest {

    @Test
    void everyKindHasItsOwnStatusAndTheStatusesClientsKnow() {
        List<Integer> statuses =
                Arrays.stream(ErrorKind.values()).map(HttpStatuses::of).toList();
        assertThat(statuses)
                .doesNotHaveDuplicates()
                .containsExactly(400, 401, 403, 404, 408, 409, 413, 421, 429, 500, 502, 503, 504, 507);
        for (ErrorKind kind : ErrorKind.values()) {
            assertThat(HttpStatuses.kindOf(HttpStatuses.of(kind))).isEqualTo(kind);
        }
        assertThat(HttpStatuses.kindOf(418)).isEqualTo(ErrorKind.INVALID);
        assertThat(HttpStatuses.kindOf(599)).isEqualTo(ErrorKind.INTERNAL);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aKindGivenForOneFailureWinsOverTheCodesAndAnApiExceptionKeepsItsStatus() {
        StudioException full = new StudioException(
                ErrorCode.of("storage_error", ErrorKind.INTERNAL),
                ErrorKind.INSUFFICIENT_STORAGE,
                "disk full",
                null,
                null);
        assertThat(HttpStatuses.of(full)).isEqualTo(507);
        assertThat(HttpStatuses.of(new StudioException(CommonError.NOT_OWNER, "no")))
                .isEqualTo(403);
        assertThat(HttpStatuses.of(new ApiException(418, "teapot", "short and stout")))
                .isEqualTo(418);
        assertThat((List<Object>)
                        StudioException.invalidField("limit", "too big").details())
                .containsExactly(new FieldError("limit", "too big"));
    }
}
