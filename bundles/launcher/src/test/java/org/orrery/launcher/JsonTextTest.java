package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    @Test
    void escapesWhatJsonRequires() {
        assertEquals("[]", JsonText.arrayOfStrings(List.of()));
        assertEquals("[\"-append\",\"a \\\"b\\\" c\\\\d\\n\\u0001\"]",
                JsonText.arrayOfStrings(List.of("-append", "a \"b\" c\\d\n\u0001")));
    }
}
