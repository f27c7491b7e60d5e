package org.orrery.backend.block.qcow2;

import java.io.IOException;

/** A qcow2 image that cannot be opened or used as asked, with a message naming the file and the problem. */
public final class ImageException extends IOException {
    public ImageException(String message) { super(message); }
}
