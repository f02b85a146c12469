package dev.elector.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for servers that a test starts in another process (or binds later), chosen outside the
 * kernel's ephemeral port range where it can be read.
 *
 * <p>Why outside: a port found free with {@code bind(0)} and released is an ephemeral port, and until the server binds
 * it, this JVM's own outgoing connections (a proxy, a client, a peer of an earlier member) and its next
 * {@code bind(0)} may be given that very port, and the server then fails with "Address already in use". Ports below
 * the ephemeral range are never handed out that way. Where the range cannot be read (not Linux), or leaves too little
 * room below it, the ports come from {@code bind(0)} as before. A port handed out by this class is not handed out
 * again by it in the same JVM.
 */
public final class FreePorts {
  private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  /** The lowest port chosen: below it lie well-known and registered services' usual ports. */
  private static final int LOW = 10_000;
  /** Room needed below the ephemeral range to choose from it instead of {@code bind(0)}. */
  private static final int MIN_ROOM = 1_000;
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private FreePorts() {}

  /** One free port; see {@link #pick(int)}. */
  public static int pick() {
    return pick(1)[0];
  }

  /**
   * {@code n} distinct ports free on 127.0.0.1 now, none handed out before by this class in this JVM.
   *
   * @throws IllegalArgumentException if {@code n} is not 1 to 100
   * @throws UncheckedIOException if not enough free ports were found
   */
  public static synchronized int[] pick(int n) {
    if (n < 1 || n > 100) {
      throw new IllegalArgumentException("n=" + n + " must be 1 to 100");
    }
    int high = ephemeralLow();
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] out = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = high - LOW >= MIN_ROOM ? bindBelow(high) : bind(0);
        held.add(s);
        out[i] = s.getLocalPort();
        HANDED_OUT.add(out[i]);
      }
      return out;
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // Closing a listening socket that accepted nothing cannot fail in a way that matters here.
        }
      }
    }
  }

  /** A socket bound to a random port in [{@link #LOW}, {@code high}) not handed out before. */
  private static ServerSocket bindBelow(int high) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOW, high);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try {
        return bind(port);
      } catch (UncheckedIOException taken) {
        // In use by someone else: try another.
      }
    }
    throw new UncheckedIOException(new IOException("no free port in [" + LOW + ", " + high + ") after 200 tries"));
  }

  private static ServerSocket bind(int port) {
    try {
      ServerSocket s = new ServerSocket();
      try {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        if (port == 0 && HANDED_OUT.contains(s.getLocalPort())) {
          s.close();
          return bind(0);
        }
        return s;
      } catch (IOException e) {
        s.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind 127.0.0.1:" + port, e);
    }
  }

  /** The low end of the kernel's ephemeral range, or {@link #LOW} (meaning: no room) if it cannot be read. */
  private static int ephemeralLow() {
    try {
      String[] range = Files.readString(RANGE).trim().split("\\s+");
      return Integer.parseInt(range[0]);
    } catch (IOException | RuntimeException e) {
      return LOW;
    }
  }
}
