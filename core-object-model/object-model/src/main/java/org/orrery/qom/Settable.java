package org.orrery.qom;

/** When a property may be written from outside the object. */
public enum Settable {
    /** Only while the object is being configured (created but not realized). */
    BEFORE_REALIZE,
    /** At any time, including while the machine runs. */
    ALWAYS,
    /** Never: the property is read-only. */
    NEVER
}
