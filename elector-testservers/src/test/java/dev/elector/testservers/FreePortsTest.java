package dev.elector.testservers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FreePortsTest {

  @Test
  void portsAreDistinctBindableAndBelowTheEphemeralRange() throws Exception {
    int[] ports = FreePorts.pick(20);
    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(20);
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    if (Files.isReadable(range)) {
      int low = Integer.parseInt(Files.readString(range).trim().split("\\s+")[0]);
      if (low >= 11_000) {
        assertThat(Arrays.stream(ports).boxed().toList())
            .allSatisfy(p -> assertThat(p).isGreaterThanOrEqualTo(10_000).isLessThan(low));
      }
    }
    for (int p : ports) {
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        assertThat(s.getLocalPort()).isEqualTo(p);
      }
    }
  }

  @Test
  void aPortIsNotHandedOutTwice() {
    int[] first = FreePorts.pick(50);
    int[] second = FreePorts.pick(50);
    assertThat(second).doesNotContain(first);
  }

  @Test
  void aBadCountIsRefusedNamingIt() {
    assertThatThrownBy(() -> FreePorts.pick(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n=0");
  }
}
