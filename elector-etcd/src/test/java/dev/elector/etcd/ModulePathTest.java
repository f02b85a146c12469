package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module descriptor resolves on the module path with jetcd's automatic modules, and provides the provider. The
 * other tests run on the class path (see the POM), so this one starts a JVM with the module path itself.
 */
class ModulePathTest {
  /** The run-time dependencies of the module: jetcd and what it pulls in, and Elector's API. */
  private static final List<String> RUNTIME = List.of("/io/etcd/", "/io/grpc/", "/io/netty/", "/io/vertx/",
      "/com/google/", "/io/perfmark/", "/javax/annotation/", "/org/slf4j/slf4j-api/", "/dev/failsafe/",
      "/org/checkerframework/", "/com/fasterxml/", "/dev/elector/elector-api/", "elector-api");

  @Test
  void theModuleResolvesAndProvidesTheEtcdProvider() throws Exception {
    String classes = Path.of("target", "classes").toAbsolutePath().toString();
    List<String> modulePath = new ArrayList<>();
    modulePath.add(classes);
    Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> p.endsWith(".jar") && RUNTIME.stream().anyMatch(p::contains))
        .forEach(modulePath::add);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "--module-path", String.join(File.pathSeparator, modulePath),
        "--describe-module", "dev.elector.etcd").redirectErrorStream(true).start();
    String describe = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(describe).contains("provides dev.elector.spi.ElectionProvider with dev.elector.etcd.EtcdElectionProvider");
    // Resolving the module with its dependencies fails on split packages or missing modules.
    Process r = new ProcessBuilder(java, "--module-path", String.join(File.pathSeparator, modulePath),
        "--add-modules", "dev.elector.etcd", "--show-module-resolution", "-version").redirectErrorStream(true).start();
    String resolution = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(r.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(r.exitValue()).as(resolution).isZero();
    assertThat(resolution.lines().filter(l -> l.startsWith("root dev.elector.etcd")).collect(Collectors.toList()))
        .isNotEmpty();
  }
}
