package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import dev.elector.spi.EngineLoop;
import dev.elector.spi.support.Endpoints;
import java.time.Duration;
import java.util.Set;

/**
 * The {@code zookeeper} backend: {@code zookeeper://h1:2181,h2:2181/my-app?sessionTimeout=10s}.
 *
 * <p>Options: {@code username} and {@code password} (both or neither) authenticate with ZooKeeper's {@code digest}
 * scheme; nodes Elector creates then carry the ACL "all rights for this user, read for anyone", so only clients with
 * the same credentials can join or change a line while tools without credentials can still read it.
 *
 * <p>When each member of the application has its own identity, add {@code group} and {@code groupPassword} (both or
 * neither, and only with {@code username}/{@code password}): a digest identity every member of the application shares.
 * Each session then authenticates as its member and as the group, and the ACLs become:
 * <ul>
 *   <li>a ticket node: all rights for the member that created it, read for the group — only its creator may change
 *       its data or ACL;
 *   <li>the root and election nodes: all rights for their creator; create, delete and read for the group — every
 *       member may join and read the line and the leader; nobody outside the group may create, delete or read.
 * </ul>
 * ZooKeeper checks the right to delete a node against its parent, so a member of the group could delete another
 * member's ticket with a raw client (Elector never does); clients outside the group cannot. Credentials never appear
 * in messages or logs. SASL (Kerberos) is not offered.
 *
 * <p>The session timeout is a request: the server clamps it into {@code [2, 20] × tickTime} (4 s to 40 s with the
 * default {@code tickTime} of 2 s). Elector computes session deadlines from the negotiated value and logs it when it
 * differs from the one asked for.
 */
public final class ZooKeeperElectionProvider implements ElectionProvider {
  /** Below this ZooKeeper's own read timeout (2/3 of it) is shorter than an ordinary GC pause. */
  static final Duration MIN_SESSION_TIMEOUT = Duration.ofSeconds(1);


  /** For {@link java.util.ServiceLoader}; does no I/O. */
  public ZooKeeperElectionProvider() {}

  @Override
  public String scheme() {
    return "zookeeper";
  }

  @Override
  public String artifact() {
    return "dev.elector:elector-zookeeper";
  }

  @Override
  public Set<String> options() {
    return Set.of("username", "password", "group", "groupPassword");
  }

  @Override
  public void validate(ClientConfig config) {
    for (String endpoint : config.endpoints()) {
      Endpoints.check(endpoint, 2181);
    }
    if (config.sessionTimeout().compareTo(MIN_SESSION_TIMEOUT) < 0) {
      throw new InvalidInputException("sessionTimeout", config.sessionTimeout(),
          "must be at least " + MIN_SESSION_TIMEOUT.toMillis() + " ms for ZooKeeper (its client drops a connection "
              + "silent for 2/3 of it; the server also clamps it to at least 2 x tickTime)");
    }
    var user = config.option("username");
    var password = config.option("password");
    if (user.isPresent() != password.isPresent()) {
      throw new InvalidInputException(user.isPresent() ? "option password" : "option username", null,
          "username and password must be given together (ZooKeeper digest authentication)");
    }
    if (user.isPresent() && (user.get().isEmpty() || user.get().indexOf(':') >= 0)) {
      throw new InvalidInputException("option username", user.get(), "must be non-empty and contain no ':'");
    }
    if (password.isPresent() && password.get().isEmpty()) {
      throw new InvalidInputException("option password", "(redacted)", "must not be empty");
    }
    var group = config.option("group");
    var groupPassword = config.option("groupPassword");
    if (group.isPresent() != groupPassword.isPresent()) {
      throw new InvalidInputException(group.isPresent() ? "option groupPassword" : "option group", null,
          "group and groupPassword must be given together (the digest identity all members share)");
    }
    if (group.isPresent() && user.isEmpty()) {
      throw new InvalidInputException("option group", group.get(),
          "needs username and password too: the group grants members access, the username makes a ticket its own");
    }
    if (group.isPresent() && (group.get().isEmpty() || group.get().indexOf(':') >= 0
        || group.get().equals(user.get()))) {
      throw new InvalidInputException("option group", group.get(),
          "must be non-empty, contain no ':' and differ from username");
    }
    if (groupPassword.isPresent() && groupPassword.get().isEmpty()) {
      throw new InvalidInputException("option groupPassword", "(redacted)", "must not be empty");
    }
  }

  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener) {
    validate(config);
    return ZkBackend.open(config, listener, new Loop());
  }

  /** Runs the backend on the engine's loop: a watch event crosses one thread hand-off to reach the engine. */
  @Override
  public ElectionBackend connect(ClientConfig config, BackendListener listener, EngineLoop loop) {
    validate(config);
    return ZkBackend.open(config, listener, new Loop(loop));
  }
}
