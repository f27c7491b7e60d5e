package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;

/** What qom-list and qom-list-properties report of a property. */
public record PropertyInfo(String name, String type, String description, JsonNode defaultValue) { }
