package dev.elector.spi.support;

import dev.elector.InvalidInputException;
import java.util.regex.Pattern;

/** The {@code host:port} rule for a backend's endpoints, checked before any I/O. */
public final class Endpoints {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.\\-]*[A-Za-z0-9_])?");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.%A-Za-z]+]");

  private Endpoints() {}

  /**
   * Checks one endpoint: a host name, an IPv4 address or a bracketed IPv6 address, a colon, and a port from 1 to
   * 65535 written without sign or leading zeros.
   *
   * @param endpoint the endpoint as the configuration gave it
   * @param examplePort the service's usual port, shown in the error (2181 for ZooKeeper, 2379 for etcd)
   * @throws InvalidInputException naming the endpoint and the rule, if it breaks the rule
   */
  public static void check(String endpoint, int examplePort) {
    int colon = endpoint.lastIndexOf(':');
    String host = colon <= 0 ? "" : endpoint.substring(0, colon);
    String port = colon <= 0 ? "" : endpoint.substring(colon + 1);
    if (!(HOST.matcher(host).matches() || IPV6.matcher(host).matches()) || !validPort(port)) {
      throw new InvalidInputException("endpoint", endpoint, "must be host:port with a port from 1 to 65535, for "
          + "example 127.0.0.1:" + examplePort + " or [::1]:" + examplePort);
    }
  }

  private static boolean validPort(String port) {
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      return false;
    }
    return p >= 1 && p <= 65535 && port.equals(Integer.toString(p));
  }
}
