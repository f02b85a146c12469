package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The relay replaces the address in ZooKeeper's election handshake and passes everything else on unchanged. */
class ElectionAddressRelayTest {

  @Test
  void theAnnouncedAddressBecomesTheReverseLinksRelayAndTheRestPassesUnchanged() throws Exception {
    try (ServerSocket member = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ElectionAddressRelay relay = ElectionAddressRelay.start(member.getLocalPort())) {
      relay.announce(40123);
      try (Socket lower = new Socket()) {
        lower.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relay.port()), 5000);
        lower.setSoTimeout(5000);
        DataOutputStream out = new DataOutputStream(lower.getOutputStream());
        byte[] real = "127.0.0.1:3888|127.0.0.1:3889".getBytes(StandardCharsets.US_ASCII);
        out.writeLong(-65535L);
        out.writeLong(1L);
        out.writeInt(real.length);
        out.write(real);
        out.writeInt(0xCAFE); // a first notification's bytes: not touched
        out.flush();

        try (Socket higher = member.accept()) {
          higher.setSoTimeout(5000);
          DataInputStream in = new DataInputStream(higher.getInputStream());
          assertThat(in.readLong()).isEqualTo(-65535L);
          assertThat(in.readLong()).isEqualTo(1L);
          byte[] announced = new byte[in.readInt()];
          in.readFully(announced);
          assertThat(new String(announced, StandardCharsets.US_ASCII)).isEqualTo("127.0.0.1:40123");
          assertThat(in.readInt()).isEqualTo(0xCAFE);

          new DataOutputStream(higher.getOutputStream()).writeInt(7); // and back the other way
          assertThat(new DataInputStream(lower.getInputStream()).readInt()).isEqualTo(7);
        }
      }
    }
  }
}
