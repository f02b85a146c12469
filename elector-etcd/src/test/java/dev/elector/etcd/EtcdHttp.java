package dev.elector.etcd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.0 request to etcd's JSON gateway or metrics on a connection of its own, closed before returning: no
 * client library, so no thread or pooled connection is left behind or counted by a hygiene check.
 */
final class EtcdHttp {
  private EtcdHttp() {}

  /** The response body; {@code body} may be null. */
  static String request(String endpoint, String method, String path, String body) throws IOException {
    int colon = endpoint.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))),
          2000);
      s.setSoTimeout(10_000);
      byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      String head = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + b.length + "\r\n\r\n";
      s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(b);
      s.getOutputStream().flush();
      String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int split = reply.indexOf("\r\n\r\n");
      return split < 0 ? reply : reply.substring(split + 4);
    }
  }
}
