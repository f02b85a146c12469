package dev.elector.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The peer network of a test cluster, with one member cut off on demand (ClusterFaults' {@code isolateMember}). Every
 * member advertises, as its peer URL, the port of a proxy in front of its real peer port, so all Raft traffic to
 * member {@code t} goes through proxy {@code t}. etcd derives member ids from the advertised URLs, so every member
 * must be listed under the same URL: one proxy per member, inbound, not one per pair. Cutting member {@code x} must
 * stop both directions, and etcd sends in both directions on connections either side dialled (stream connections
 * are dialled by the receiver, pipeline posts by the sender), so each proxy learns which member dialled each
 * connection it accepts: the process that owns the connection's other end (the socket's inode in
 * {@code /proc/net/tcp}, found among the member's open files). While {@code x} is isolated, every connection dialled
 * by {@code x} or to {@code x} forwards nothing and stays open (a black hole, as a partition is: no reset); on
 * rejoin those connections are closed and the members dial afresh. Linux only; threads are daemons.
 */
final class PeerNet implements AutoCloseable {
  private final List<Proxy> proxies = new ArrayList<>();
  private final long[] pids;
  private final Set<Integer> isolated = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private volatile boolean closed;

  PeerNet(int members) {
    pids = new long[members];
    for (int i = 0; i < members; i++) {
      proxies.add(new Proxy(i));
    }
  }

  /** The port member {@code i} advertises to its peers. */
  int advertisedPort(int i) {
    return proxies.get(i).server.getLocalPort();
  }

  /** Member {@code i} now runs as {@code process}, listening for peers on {@code peerPort}. */
  void member(int i, int peerPort, Process process) {
    synchronized (lock) {
      proxies.get(i).target = peerPort;
      pids[i] = process.pid();
    }
  }

  /** Cuts every peer connection of member {@code i}, both ways, and every new one until {@link #rejoin}. */
  void isolate(int i) {
    isolated.add(i);
    synchronized (lock) {
      lock.notifyAll();
    }
    // A connection whose dialler could not be told might be the isolated member's: it dials again, and is told.
    for (Proxy p : proxies) {
      for (Link l : p.links) {
        if (l.from < 0) {
          l.close();
        }
      }
    }
  }

  /** Ends {@link #isolate}: the connections held are closed, and new ones forward again. */
  void rejoin(int i) {
    List<Link> held = new ArrayList<>();
    for (Proxy p : proxies) {
      for (Link l : p.links) {
        if (l.from == i || p.index == i) {
          held.add(l);
        }
      }
    }
    isolated.remove(i);
    for (Link l : held) {
      l.close();
    }
  }

  private boolean cut(Link l) {
    return isolated.contains(l.to) || isolated.contains(l.from);
  }

  @Override
  public void close() {
    closed = true;
    for (Proxy p : proxies) {
      try {
        p.server.close();
      } catch (IOException e) {
        // Closing anyway.
      }
      for (Link l : p.links) {
        l.close();
      }
    }
  }

  /** The member whose process owns the client end of a connection from {@code port} to {@code proxyPort}, or -1. */
  private int dialler(int port, int proxyPort) {
    for (int attempt = 0; attempt < 20; attempt++) {
      String inode = inode(port, proxyPort);
      if (inode != null) {
        String link = "socket:[" + inode + "]";
        long[] now;
        synchronized (lock) {
          now = pids.clone();
        }
        for (int m = 0; m < now.length; m++) {
          if (owns(now[m], link)) {
            return m;
          }
        }
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    return -1;
  }

  private static String inode(int localPort, int remotePort) {
    String local = String.format(":%04X", localPort);
    String remote = String.format(":%04X", remotePort);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote)) {
            return f[9];
          }
        }
      } catch (IOException e) {
        // No such table: try the next.
      }
    }
    return null;
  }

  private static boolean owns(long pid, String link) {
    if (pid == 0) {
      return false;
    }
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.anyMatch(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().equals(link);
        } catch (IOException e) {
          return false;
        }
      });
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  private final class Proxy {
    final int index;
    final ServerSocket server;
    final Set<Link> links = ConcurrentHashMap.newKeySet();
    volatile int target;

    Proxy(int index) {
      this.index = index;
      try {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread t = new Thread(this::accept, "peer-net-" + index);
      t.setDaemon(true);
      t.start();
    }

    void accept() {
      while (!closed) {
        Socket in;
        try {
          in = server.accept();
        } catch (IOException e) {
          return;
        }
        Thread t = new Thread(() -> open(in), "peer-net-" + index + "-link");
        t.setDaemon(true);
        t.start();
      }
    }

    void open(Socket in) {
      int from = dialler(in.getPort(), server.getLocalPort());
      Link l = new Link(from, index, in);
      links.add(l);
      try {
        l.out = new Socket(InetAddress.getLoopbackAddress(), target);
      } catch (IOException e) {
        l.close();
        return;
      }
      pump(l, l.in, l.out);
      pump(l, l.out, l.in);
    }

    void pump(Link l, Socket src, Socket dst) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[16 * 1024];
        try (InputStream is = src.getInputStream(); OutputStream os = dst.getOutputStream()) {
          int n;
          while ((n = is.read(buf)) >= 0) {
            synchronized (lock) {
              while (cut(l) && !l.closed && !closed) {
                lock.wait(100);
              }
            }
            if (l.closed) {
              return;
            }
            os.write(buf, 0, n);
          }
        } catch (IOException | InterruptedException e) {
          // The link ends.
        } finally {
          l.close();
          links.remove(l);
        }
      }, "peer-net-pump");
      t.setDaemon(true);
      t.start();
    }
  }

  private static final class Link {
    final int from;
    final int to;
    final Socket in;
    volatile Socket out;
    volatile boolean closed;

    Link(int from, int to, Socket in) {
      this.from = from;
      this.to = to;
      this.in = in;
    }

    void close() {
      closed = true;
      try {
        in.close();
      } catch (IOException e) {
        // Closing anyway.
      }
      Socket o = out;
      if (o != null) {
        try {
          o.close();
        } catch (IOException e) {
          // Closing anyway.
        }
      }
    }
  }
}
