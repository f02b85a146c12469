package dev.elector.bench;

import dev.elector.testservers.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real single ZooKeeper server in a JVM of its own (this harness's class path, {@code ZooKeeperServerMain}), on a
 * free loopback port with its data in a temp dir; stopped and deleted on close (and by a shutdown hook).
 *
 * <p>The scale phases use it so that the client heap they measure is the client's alone, as on etcd: with the server
 * in the harness's JVM its znodes, sessions and watches share the heap, and subtracting a raw client's cost per
 * znode left the server's per-watch and per-recipe cost in the client figure (about 0.5 KB per candidate for
 * Elector and 0.9 KB for Curator at 1,000 candidates, compared with a class histogram of the client alone).
 */
final class ZkProcess implements AutoCloseable {
  /** The server JVM's fixed flags (printed at the start of a run). */
  static final List<String> JVM_FLAGS = List.of("-Xms512m", "-Xmx1g", "-XX:+UseParallelGC");

  private final ChildProcess child;
  private final int port;

  ZkProcess(Duration startTimeout) {
    try {
      Path dir = Files.createTempDirectory("elector-bench-zkp");
      port = FreePorts.pick();
      Path cfg = dir.resolve("zoo.cfg");
      Files.writeString(cfg, String.join("\n",
          "tickTime=" + ZkServer.TICK_MS,
          "dataDir=" + dir.resolve("data"),
          "clientPort=" + port,
          "clientPortAddress=127.0.0.1",
          // No per-address connection limit: the scale phases open many sessions from 127.0.0.1.
          "maxClientCnxns=0",
          "minSessionTimeout=" + 2 * ZkServer.TICK_MS,
          "maxSessionTimeout=120000",
          "admin.enableServer=false",
          "4lw.commands.whitelist=srvr",
          ""));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd = new java.util.ArrayList<>(List.of(java));
      cmd.addAll(JVM_FLAGS);
      cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dzookeeper.admin.enableServer=false",
          "-cp", System.getProperty("java.class.path"), "org.apache.zookeeper.server.ZooKeeperServerMain",
          cfg.toString()));
      child = new ChildProcess(dir, "zk.log", cmd);
      awaitServing(startTimeout);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a ZooKeeper server process", e);
    }
  }

  /**
   * Runs a raw client's mix of what elections do (sequential ephemeral creates, line reads, watched reads, deletes)
   * for a few rounds: a new server JVM interprets its code at first, and a phase on a cold server measures the JIT
   * rather than the contender (the in-process server of the other scenarios is warm from the start).
   */
  void warmUp(int rounds, int nodes) throws Exception {
    org.apache.zookeeper.ZooKeeper zk = Floors.zk(endpoint());
    try {
      zk.create("/warmup", new byte[0], org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE,
          org.apache.zookeeper.CreateMode.PERSISTENT);
      byte[] data = "candidate-0000".getBytes(StandardCharsets.UTF_8);
      java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(500);
      for (int r = 0; r < rounds; r++) {
        List<String> names = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int i = 0; i < nodes; i++) {
          inFlight.acquire();
          zk.create("/warmup/n_", data, org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE,
              org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, (rc, path, ctx, name) -> {
                names.add(name);
                inFlight.release();
              }, null);
        }
        for (int i = 0; i < nodes / 4; i++) {
          inFlight.acquire();
          zk.getChildren("/warmup", false, (rc, path, ctx, children) -> inFlight.release(), null);
        }
        inFlight.acquire(500);
        inFlight.release(500);
        for (String name : List.copyOf(names)) {
          inFlight.acquire();
          zk.getData(name, e -> { }, (rc, path, ctx, d, stat) -> inFlight.release(), null);
          inFlight.acquire();
          zk.delete(name, -1, (rc, path, ctx) -> inFlight.release(), null);
        }
        if (!inFlight.tryAcquire(500, 60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("warm-up requests did not complete within 60 s");
        }
        inFlight.release(500);
      }
      zk.delete("/warmup", -1);
    } finally {
      zk.close();
    }
  }

  String endpoint() {
    return "127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /**
   * Waits until the server has no request outstanding (its {@code srvr} report), at most {@code timeout}: replies
   * still on their way to the client are part of the heap the phase is about to measure.
   */
  void awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    int quiet = 0;
    while (quiet < 5 && System.nanoTime() - end < 0) {
      quiet = outstanding() == 0 ? quiet + 1 : 0;
      Thread.sleep(20);
    }
  }

  /** The server's outstanding requests, or -1 if it cannot be asked. */
  private long outstanding() {
    String srvr = fourLetter("srvr");
    for (String line : srvr.split("\n")) {
      if (line.startsWith("Outstanding:")) {
        return Long.parseLong(line.substring("Outstanding:".length()).trim());
      }
    }
    return -1;
  }

  private String fourLetter(String cmd) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      out.write(cmd.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  private void awaitServing(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      child.checkAlive("ZooKeeper");
      // srvr answers only once the server is running (before that: "not currently serving requests").
      if (fourLetter("srvr").contains("Outstanding:")) {
        return;
      }
      ChildProcess.sleep(50);
    }
    child.stop();
    throw new IOException("ZooKeeper did not serve on " + endpoint() + " within " + timeout + ": "
        + child.tailLog());
  }

  long pid() {
    return child.pid();
  }

  @Override
  public void close() {
    child.close();
  }
}
