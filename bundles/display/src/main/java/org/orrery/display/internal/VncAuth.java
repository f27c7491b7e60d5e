package org.orrery.display.internal;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * VNC authentication (RFC 6143, 7.2.2): the client encrypts the server's 16-byte challenge with DES, keyed by the
 * password's first 8 bytes with the bits of each byte reversed (as every VNC implementation does). DES comes from the
 * JDK's provider.
 */
final class VncAuth {
    private VncAuth() { }

    /** The response a client knowing {@code password} sends to {@code challenge}. */
    static byte[] response(String password, byte[] challenge) {
        byte[] key = new byte[8];
        byte[] pw = password.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 8 && i < pw.length; i++) key[i] = (byte) (Integer.reverse(pw[i] & 0xff) >>> 24);
        try {
            Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
            des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
            return des.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DES is not available: " + e, e);
        }
    }

    /** Whether {@code answer} is the right response (compared in constant time). */
    static boolean check(String password, byte[] challenge, byte[] answer) {
        return password != null && MessageDigest.isEqual(response(password, challenge), answer);
    }
}
