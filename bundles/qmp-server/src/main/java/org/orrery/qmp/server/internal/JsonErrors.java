package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;

/** Jackson's parse errors said the way QEMU's JSON parser says them, so clients see familiar text. */
final class JsonErrors {
    private JsonErrors() { }

    static String describe(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) return "invalid JSON";
        int nl = m.indexOf('\n');
        if (nl >= 0) m = m.substring(0, nl);
        if (m.startsWith("Duplicate field") || m.startsWith("Duplicate Object property")) return "duplicate key";
        if (m.contains("comma to separate Object entries")) return "expected separator in dict";
        if (m.contains("comma to separate Array entries")) return "expected separator in list";
        if (m.contains("colon to separate field name")) return "missing : in object pair";
        if (m.contains("double-quote to start field name")) return "key is not a string in dict";
        if (m.contains("expected a value") || m.startsWith("Unexpected end-of-input")) return "expecting value";
        if (m.startsWith("Unrecognized token '")) {
            int end = m.indexOf('\'', 20);
            return "invalid keyword '" + (end > 20 ? m.substring(20, end) : "") + "'";
        }
        if (m.contains("Invalid UTF-8")) return "invalid UTF-8 sequence in string";
        if (m.startsWith("Illegal unquoted character")) return "invalid string";
        return m;
    }
}
