package org.orrery.launcher;

import java.util.List;

/** The little JSON the launcher writes (it has no JSON library on its class path). */
final class JsonText {
    private JsonText() {
    }

    static String arrayOfStrings(List<String> strings) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < strings.size(); i++) {
            if (i > 0) {
                json.append(',');
            }
            appendString(json, strings.get(i));
        }
        return json.append(']').toString();
    }

    private static void appendString(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
