package io.sage.studio.finetune.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdsTest {

    @Test
    void idsAreUrlSafeDnsLabelsThatSortByTime() {
        for (int i = 0; i < 200; i++) {
            String id = Ids.newId("ft", "My Run; $(rm -rf /) 'x'\n" + "z".repeat(50));
            assertThat(id).matches("ft-\\d{8}-\\d{6}-[0-9a-f]{6}-[a-z0-9-]+").hasSizeLessThanOrEqualTo(63);
        }
        assertThat(Ids.sanitizeSuffix("My Run; $(rm -rf /)")).isEqualTo("my-run-rm-rf");
        assertThat(Ids.newId("ft", "%%%")).matches("ft-\\d{8}-\\d{6}-[0-9a-f]{6}");
    }
}
