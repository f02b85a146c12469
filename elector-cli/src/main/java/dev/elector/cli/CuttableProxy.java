package dev.elector.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP forwarder on loopback between one demo candidate and one backend endpoint, that can cut the candidate off.
 *
 * <p>A cut drops every byte instead of closing connections, because that is what a crashed machine or a failed
 * network looks like from both ends: the client hears nothing and must notice on its own clock, and the server must
 * wait out the session timeout. Connections that saw a cut are closed when it heals, since bytes were lost
 * mid-stream; the client then reconnects through fresh ones.
 */
final class CuttableProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final List<Link> links = new ArrayList<>(); // guarded by this
  private boolean cut; // guarded by this
  private volatile boolean closed;

  private final class Link {
    final Socket client;
    final Socket upstream;
    volatile boolean dropping;

    Link(Socket client, Socket upstream, boolean dropping) {
      this.client = client;
      this.upstream = upstream;
      this.dropping = dropping;
    }

    void pump(Socket from, Socket to) {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (!dropping) {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // the other side closed or the link was cut; close both ends below
      } finally {
        close();
      }
    }

    void close() {
      quietly(client);
      quietly(upstream);
      synchronized (CuttableProxy.this) {
        links.remove(this);
      }
    }
  }

  CuttableProxy(InetSocketAddress target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "elector-demo-proxy-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** {@code 127.0.0.1:port} to give the client instead of the target. */
  String hostPort() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5000);
      } catch (IOException e) {
        quietly(client);
        quietly(upstream);
        continue;
      }
      Link link;
      synchronized (this) {
        link = new Link(client, upstream, cut);
        links.add(link);
      }
      start(() -> link.pump(client, upstream));
      start(() -> link.pump(upstream, client));
    }
  }

  private void start(Runnable r) {
    Thread t = new Thread(r, "elector-demo-proxy-link");
    t.setDaemon(true);
    t.start();
  }

  /** From now on nothing passes, on open connections or new ones. */
  synchronized void cut() {
    cut = true;
    links.forEach(l -> l.dropping = true);
  }

  /** Lets new connections through again and closes those that lost bytes. */
  void heal() {
    List<Link> broken;
    synchronized (this) {
      cut = false;
      broken = new ArrayList<>(links);
    }
    broken.forEach(Link::close);
  }

  @Override
  public void close() {
    closed = true;
    quietly(server);
    List<Link> all;
    synchronized (this) {
      all = new ArrayList<>(links);
    }
    all.forEach(Link::close);
  }

  private static void quietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing is best effort
    }
  }
}
