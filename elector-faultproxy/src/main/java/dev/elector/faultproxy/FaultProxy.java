package dev.elector.faultproxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fault-injecting TCP proxy between one client and one server endpoint. It listens on {@code 127.0.0.1} on a free
 * port and forwards every accepted connection to the target, until told to misbehave:
 *
 * <ul>
 *   <li>{@link #partition()}: stop forwarding bytes in both directions while keeping every connection open, as a
 *       network partition does (neither side sees a reset or an end of stream; bytes already sent wait, as TCP
 *       retransmissions would). New connections are accepted but not connected to the target until healed.
 *   <li>{@link #dropConnections()}: close every current connection at once (both sides see the connection end).
 *   <li>{@link #latency(Duration)}: delay every chunk by the given one-way latency.
 *   <li>One-way faults, for asymmetric networks: {@link #replyLatency(Duration)} delays only what the server sends
 *       (requests arrive at once, answers late), and {@link #partitionRequests()} stops only what the client sends
 *       (the server hears nothing; answers and events already on their way still arrive). New connections are held
 *       while requests are cut, as their first bytes could not reach the server.
 *   <li>{@link #heal()}: forward normally again, with no added latency; bytes held during a partition flow on.
 * </ul>
 *
 * <p>Works for any TCP protocol without the client or server knowing. Threads are daemons and end on
 * {@link #close()}. Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {
  private static final int CHUNK = 16 * 1024;
  /** Chunks a direction buffers before it stops reading: back-pressure while partitioned or delayed. */
  private static final int QUEUE_CHUNKS = 64;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final AtomicInteger IDS = new AtomicInteger();

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket server;
  private final String name;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Object stateLock = new Object();
  /** Client-to-server ("up") and server-to-client ("down") are cut and delayed separately; guarded by stateLock. */
  private boolean upCut;
  private boolean downCut;
  private long upLatencyNanos;
  private long downLatencyNanos;
  private volatile boolean closed;

  private FaultProxy(String targetHost, int targetPort, ServerSocket server) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = server;
    this.name = "fault-proxy-" + IDS.incrementAndGet() + "[" + server.getLocalPort() + "->" + targetHost + ":"
        + targetPort + "]";
  }

  /**
   * Starts a proxy listening on {@code 127.0.0.1} on a free port, forwarding to {@code targetHost:targetPort}.
   *
   * @throws UncheckedIOException if no port could be bound
   */
  public static FaultProxy start(String targetHost, int targetPort) {
    Objects.requireNonNull(targetHost, "targetHost");
    if (targetPort <= 0 || targetPort > 65535) {
      throw new IllegalArgumentException("targetPort " + targetPort + " must be 1..65535");
    }
    ServerSocket ss;
    try {
      ss = new ServerSocket();
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("could not bind a proxy port on 127.0.0.1", e);
    }
    FaultProxy proxy = new FaultProxy(targetHost, targetPort, ss);
    Thread acceptor = new Thread(proxy::acceptLoop, proxy.name + "-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return proxy;
  }

  /**
   * Starts a proxy for an endpoint written {@code host:port} (IPv6 hosts in brackets: {@code [::1]:2181}).
   *
   * @throws IllegalArgumentException if the endpoint has no port
   */
  public static FaultProxy start(String endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0 || colon == endpoint.length() - 1) {
      throw new IllegalArgumentException("endpoint '" + endpoint + "' must be host:port");
    }
    String host = endpoint.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(endpoint.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint '" + endpoint + "' must end with a numeric port", e);
    }
    return start(host, port);
  }

  /** The address clients should connect to: {@code 127.0.0.1:port}. */
  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  /** The local port the proxy listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** The target this proxy forwards to, as {@code host:port}. */
  public String target() {
    return targetHost + ":" + targetPort;
  }

  /** Stops forwarding in both directions, keeping connections open. Idempotent. */
  public void partition() {
    synchronized (stateLock) {
      upCut = true;
      downCut = true;
      stateLock.notifyAll();
    }
  }

  /**
   * Stops forwarding only what the client sends, keeping connections open: the server hears nothing more, while its
   * answers and events keep reaching the client. Idempotent; {@link #heal()} ends it.
   */
  public void partitionRequests() {
    synchronized (stateLock) {
      upCut = true;
      stateLock.notifyAll();
    }
  }

  /** True until {@link #close()}: the proxy's port accepts connections. */
  public boolean listening() {
    return !server.isClosed();
  }

  /** True while either direction is cut ({@link #partition()} or {@link #partitionRequests()}). */
  public boolean partitioned() {
    synchronized (stateLock) {
      return upCut || downCut;
    }
  }

  /** Closes every current connection, both sides. New connections are accepted as before. */
  public void dropConnections() {
    for (Connection c : connections.toArray(new Connection[0])) {
      c.close();
    }
  }

  /** Adds a one-way latency to every chunk forwarded from now on (zero for none). */
  public void latency(Duration oneWay) {
    Objects.requireNonNull(oneWay, "oneWay");
    if (oneWay.isNegative()) {
      throw new IllegalArgumentException("latency " + oneWay + " must not be negative");
    }
    synchronized (stateLock) {
      upLatencyNanos = oneWay.toNanos();
      downLatencyNanos = oneWay.toNanos();
      stateLock.notifyAll();
    }
  }

  /**
   * Delays only what the server sends by {@code oneWay} from now on (zero for none): a request reaches the server at
   * once and its answer arrives late, as on an asymmetric or congested return path. {@link #heal()} removes it.
   */
  public void replyLatency(Duration oneWay) {
    Objects.requireNonNull(oneWay, "oneWay");
    if (oneWay.isNegative()) {
      throw new IllegalArgumentException("reply latency " + oneWay + " must not be negative");
    }
    synchronized (stateLock) {
      downLatencyNanos = oneWay.toNanos();
      stateLock.notifyAll();
    }
  }

  /** Forwards normally again: ends a partition and removes added latency. */
  public void heal() {
    synchronized (stateLock) {
      upCut = false;
      downCut = false;
      upLatencyNanos = 0;
      downLatencyNanos = 0;
      stateLock.notifyAll();
    }
  }

  /** The number of open connections (for diagnostics). */
  public int connectionCount() {
    return connections.size();
  }

  /** Stops listening and closes every connection. Idempotent. */
  @Override
  public void close() {
    closed = true;
    synchronized (stateLock) {
      stateLock.notifyAll();
    }
    closeQuietly(server);
    dropConnections();
  }

  @Override
  public String toString() {
    return name + (partitioned() ? " (partitioned)" : "");
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      Connection c = new Connection(client);
      connections.add(c);
      if (closed) {
        c.close();
        return;
      }
      Thread t = new Thread(c::open, name + "-open");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Blocks until requests can reach the server; false if the proxy or the connection closed meanwhile. */
  private boolean awaitForwarding(Connection c) throws InterruptedException {
    synchronized (stateLock) {
      while (upCut && !closed && !c.closed) {
        stateLock.wait(100);
      }
      return !closed && !c.closed;
    }
  }

  /**
   * Blocks until the chunk read at {@code readNanos} is due and its direction ({@code up}: client to server) is not
   * cut; false if closed meanwhile.
   */
  private boolean awaitDue(Connection c, boolean up, long readNanos) throws InterruptedException {
    synchronized (stateLock) {
      while (!closed && !c.closed) {
        if (up ? upCut : downCut) {
          stateLock.wait(100);
          continue;
        }
        long wait = readNanos + (up ? upLatencyNanos : downLatencyNanos) - System.nanoTime();
        if (wait <= 0) {
          return true;
        }
        TimeUnit.NANOSECONDS.timedWait(stateLock, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
      }
      return false;
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // Closing is best effort: the socket may already be reset by the other side.
    }
  }

  /** One proxied connection: the accepted client socket and, once forwarding starts, the target socket. */
  private final class Connection {
    private final Socket client;
    private volatile Socket target;
    private volatile boolean closed;
    private final AtomicInteger openDirections = new AtomicInteger(2);

    Connection(Socket client) {
      this.client = client;
    }

    void open() {
      try {
        // A partition means the connection attempt does not reach the server: hold it until healed.
        if (!awaitForwarding(this)) {
          close();
          return;
        }
        Socket t = new Socket();
        t.setTcpNoDelay(true);
        t.connect(new InetSocketAddress(targetHost, targetPort), (int) CONNECT_TIMEOUT.toMillis());
        target = t;
        if (closed || FaultProxy.this.closed) {
          close();
          return;
        }
        client.setTcpNoDelay(true);
        startDirection(true, client, t);
        startDirection(false, t, client);
      } catch (IOException e) {
        close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    private void startDirection(boolean up, Socket from, Socket to) throws IOException {
      BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      String dir = up ? "up" : "down";
      Thread reader = new Thread(() -> read(in, queue), name + "-" + dir + "-read");
      Thread writer = new Thread(() -> write(queue, up, out, to), name + "-" + dir + "-write");
      reader.setDaemon(true);
      writer.setDaemon(true);
      reader.start();
      writer.start();
    }

    private void read(InputStream in, BlockingQueue<Chunk> queue) {
      byte[] buf = new byte[CHUNK];
      try {
        while (!closed) {
          int n;
          try {
            n = in.read(buf);
          } catch (IOException e) {
            // A reset travels like an end of stream: it waits behind a partition and the latency too.
            hand(queue, new Chunk(null, System.nanoTime(), true));
            return;
          }
          if (n < 0) {
            hand(queue, new Chunk(null, System.nanoTime(), false));
            return;
          }
          if (n > 0 && !hand(queue, new Chunk(Arrays.copyOf(buf, n), System.nanoTime(), false))) {
            return;
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    /**
     * Hands a chunk to the writer, giving up once the connection is closed: the writer stops reading the queue
     * then, and a plain {@code put} on a full queue would keep this reader thread alive for good.
     */
    private boolean hand(BlockingQueue<Chunk> queue, Chunk c) throws InterruptedException {
      while (!closed) {
        if (queue.offer(c, 100, TimeUnit.MILLISECONDS)) {
          return true;
        }
      }
      return false;
    }

    private void write(BlockingQueue<Chunk> queue, boolean up, OutputStream out, Socket to) {
      try {
        while (!closed) {
          Chunk c = queue.poll(100, TimeUnit.MILLISECONDS);
          if (c == null) {
            continue;
          }
          if (!awaitDue(this, up, c.readNanos())) {
            return;
          }
          if (c.bytes() == null) {
            if (c.reset()) {
              close();
            } else {
              try {
                to.shutdownOutput();
              } catch (IOException e) {
                close();
              }
              if (openDirections.decrementAndGet() == 0) {
                close();
              }
            }
            return;
          }
          out.write(c.bytes());
          out.flush();
        }
      } catch (SocketException e) {
        close();
      } catch (IOException e) {
        close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
      }
    }

    void close() {
      closed = true;
      connections.remove(this);
      closeQuietly(client);
      closeQuietly(target);
      synchronized (stateLock) {
        stateLock.notifyAll();
      }
    }
  }

  private record Chunk(byte[] bytes, long readNanos, boolean reset) {}
}
