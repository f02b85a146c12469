package dev.elector.tck;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which threads application code must never run on (SPEC rule 3.2), told apart by name: Elector's engine loop and a
 * backend's own threads, where a blocking callback or continuation stalls the client (its events, its heartbeats,
 * its close), and the client libraries' I/O threads, where it stalls the connection. Elector's callback pool
 * ({@code elector-callback-…}) is where the engine completes the stages it hands out, so it is allowed.
 *
 * <p>The names the kit knows:
 * <ul>
 *   <li>{@code elector-…} except {@code elector-callback-…}: the engine ({@code elector-engine-<client>-<n>}) and the
 *       bundled backends ({@code elector-mem-…}, {@code elector-zookeeper-…}, {@code elector-etcd-…}). A new backend
 *       names its own threads {@code elector-<backend>-…} so the kit can see them;
 *   <li>ZooKeeper's client threads: {@code …-EventThread}, {@code …-SendThread(…)};
 *   <li>jetcd's and gRPC's: {@code grpc-…}, {@code vert.x-…}, {@code jetcd-…}, and Netty's event loops
 *       ({@code …EventLoop…}, {@code nioEventLoopGroup-…}, {@code epollEventLoopGroup-…}).
 * </ul>
 * A library thread with an anonymous name ({@code pool-3-thread-1}) cannot be recognised; a backend that hands its
 * completions to such a pool is outside what the kit can see.
 */
final class ElectorThreads {
  private static final List<Pattern> BACKEND_IO = List.of(
      Pattern.compile("elector-(?!callback-|engine-).*"),
      Pattern.compile(".*-(EventThread|SendThread).*"),
      Pattern.compile("grpc-.*"),
      Pattern.compile("vert\\.x-.*"),
      Pattern.compile("jetcd-.*"),
      Pattern.compile("(?i).*event-?loop.*"));
  private static final Pattern ENGINE = Pattern.compile("elector-engine-.*");

  private ElectorThreads() {}

  /** Why application code must not run on {@code thread} (a backend or client-library I/O thread), if it must not. */
  static Optional<String> backendIo(String thread) {
    for (Pattern p : BACKEND_IO) {
      if (p.matcher(thread).matches()) {
        return Optional.of("a backend or client-library I/O thread (name matches " + p.pattern() + ")");
      }
    }
    return Optional.empty();
  }

  /**
   * Why a continuation must not run on {@code thread} (the engine's loop, or a backend or client-library I/O
   * thread), if it must not.
   */
  static Optional<String> forbidden(String thread) {
    if (ENGINE.matcher(thread).matches()) {
      return Optional.of("Elector's engine thread (name matches " + ENGINE.pattern() + ")");
    }
    return backendIo(thread);
  }
}
