package org.orrery.qom;

/** The error classes QMP clients know; every error a front-end reports carries one. */
public enum ErrorClass {
    GenericError, CommandNotFound, DeviceNotActive, DeviceNotFound, KVMMissingCap
}
