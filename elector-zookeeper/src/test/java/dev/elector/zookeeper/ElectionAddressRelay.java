package dev.elector.zookeeper;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One member's election link to another member, in front of the link's fault proxy, rewriting the election address
 * the connecting member announces in ZooKeeper's election handshake.
 *
 * <p>Why: a member that receives an election connection from a member with a lower id closes it and connects back
 * to the address announced in the handshake (the lower member's own, real election port), not to the address in its
 * own configuration. That connection bypasses every proxy, so cutting a member's proxies would leave election traffic
 * flowing: the cut-off member goes on winning elections (it has the highest zxid) that the others can never follow
 * (the quorum port is cut), and the ensemble never recovers. The relay replaces the announced address by
 * {@code announced}, the relay of the reverse link, so the connect-back goes through the proxies too.
 *
 * <p>Handshake (ZooKeeper 3.5+): a negative protocol version (8 bytes), the sender's id (8), the length of the
 * address text (4) and the text ({@code host:port}, several joined by {@code |}). A non-negative first long is the
 * pre-3.5 handshake (the id alone) and is passed on unchanged. After the handshake, bytes pass unchanged; when
 * either side ends, both sockets close.
 */
final class ElectionAddressRelay implements AutoCloseable {
  /** A handshake address longer than this is not ZooKeeper's: the connection is dropped. */
  private static final int MAX_ADDRESS_BYTES = 4096;

  private final ServerSocket server;
  private final int targetPort;
  private volatile int announcedPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private ElectionAddressRelay(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
  }

  /** Listens on a free port of 127.0.0.1 and relays to {@code 127.0.0.1:targetPort}. */
  static ElectionAddressRelay start(int targetPort) throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ElectionAddressRelay relay = new ElectionAddressRelay(ss, targetPort);
    Thread t = new Thread(relay::acceptLoop, "election-relay-" + ss.getLocalPort() + "-accept");
    t.setDaemon(true);
    t.start();
    return relay;
  }

  int port() {
    return server.getLocalPort();
  }

  /** The port written into every handshake from now on; set before the members start. */
  void announce(int port) {
    announcedPort = port;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> relay(client), "election-relay-" + port() + "-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        try {
          Thread.sleep(10); // a lasting accept error (no file descriptors left) must not spin
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private void relay(Socket client) {
    sockets.add(client);
    try (client; Socket target = new Socket()) {
      sockets.add(target);
      if (closed) {
        return;
      }
      target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
      client.setSoTimeout(30_000); // the handshake comes first thing; a connection that sends none is dropped
      DataInputStream in = new DataInputStream(client.getInputStream());
      DataOutputStream out = new DataOutputStream(target.getOutputStream());
      long version = in.readLong();
      out.writeLong(version);
      if (version < 0) {
        out.writeLong(in.readLong()); // the sender's id
        int length = in.readInt();
        if (length < 0 || length > MAX_ADDRESS_BYTES) {
          return;
        }
        in.readFully(new byte[length]);
        byte[] address = ("127.0.0.1:" + announcedPort).getBytes(StandardCharsets.US_ASCII);
        out.writeInt(address.length);
        out.write(address);
      }
      out.flush();
      client.setSoTimeout(0);
      Thread down = new Thread(() -> pipe(target, client), "election-relay-" + port() + "-down");
      down.setDaemon(true);
      down.start();
      pipe(client, target);
    } catch (IOException e) {
      // The link was cut, dropped or closed: the sockets close here, as a reset would close them.
    } finally {
      sockets.remove(client);
      sockets.removeIf(Socket::isClosed);
    }
  }

  /** Copies until either side ends, then closes both, so the peer on the other side sees the end too. */
  private void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // Ended by the other direction's close, or by a reset.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Best effort: the socket may already be reset.
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // Already closed.
    }
    sockets.forEach(ElectionAddressRelay::closeQuietly);
  }
}
