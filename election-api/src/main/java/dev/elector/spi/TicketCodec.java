package dev.elector.spi;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The one byte layout every key-value Elector backend stores in a ticket: a version byte, the candidate id's UTF-8
 * length (4 bytes), the id, then the application data. Shared so that tools can read any backend's line. A backend
 * on typed storage (a SQL table) may store the candidate id and data as columns instead.
 */
public final class TicketCodec {
  private static final byte VERSION = 1;

  private TicketCodec() {}

  public static byte[] encode(String candidateId, byte[] data) {
    byte[] id = candidateId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 4 + id.length + data.length).put(VERSION).putInt(id.length).put(id).put(data)
        .array();
  }

  /** The candidate id stored in {@code bytes}. */
  public static String candidateId(byte[] bytes) {
    ByteBuffer b = check(bytes);
    int n = b.getInt();
    return new String(bytes, 5, n, StandardCharsets.UTF_8);
  }

  /** The application data stored in {@code bytes}. */
  public static byte[] data(byte[] bytes) {
    ByteBuffer b = check(bytes);
    int n = b.getInt();
    byte[] out = new byte[bytes.length - 5 - n];
    System.arraycopy(bytes, 5 + n, out, 0, out.length);
    return out;
  }

  private static ByteBuffer check(byte[] bytes) {
    if (bytes == null || bytes.length < 5 || bytes[0] != VERSION) {
      throw new IllegalArgumentException("not an Elector ticket: " + (bytes == null ? "null" : bytes.length + " bytes"));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    b.get();
    int n = b.getInt(1);
    if (n < 0 || n > bytes.length - 5) {
      throw new IllegalArgumentException("not an Elector ticket: id length " + n + " of " + bytes.length + " bytes");
    }
    return b;
  }
}
