package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * The credentials a session authenticates with and the ACLs of the nodes Elector creates, from the {@code username},
 * {@code password}, {@code group} and {@code groupPassword} options (see {@link ZooKeeperElectionProvider}).
 */
final class Acls {
  /** ACL of ticket nodes. */
  final List<ACL> ticketAcl;
  /** ACL of the root and election nodes Elector creates (ZooKeeper checks CREATE and DELETE of a child here). */
  final List<ACL> parentAcl;
  private final byte[] digest;
  private final byte[] groupDigest;

  Acls(ClientConfig config) {
    var user = config.option("username");
    var group = config.option("group");
    if (user.isPresent() && group.isPresent()) {
      String member = user.get() + ":" + config.option("password").orElse("");
      String shared = group.get() + ":" + config.option("groupPassword").orElse("");
      digest = member.getBytes(StandardCharsets.UTF_8);
      groupDigest = shared.getBytes(StandardCharsets.UTF_8);
      // Explicit ids, not AUTH_IDS: a session authenticated as member and group would give the group ALL.
      Id self = digestId(member);
      Id everyone = digestId(shared);
      // A ticket: only its creator may change it; the application's members may read it.
      ticketAcl = List.of(new ACL(ZooDefs.Perms.ALL, self), new ACL(ZooDefs.Perms.READ, everyone));
      // A parent: members create tickets in it and, since ZooKeeper checks a delete against the parent, remove
      // their own on resign; no one else may create, delete or read there.
      parentAcl = List.of(new ACL(ZooDefs.Perms.ALL, self), new ACL(
          ZooDefs.Perms.CREATE | ZooDefs.Perms.DELETE | ZooDefs.Perms.READ, everyone));
    } else if (user.isPresent()) {
      digest = (user.get() + ":" + config.option("password").orElse("")).getBytes(StandardCharsets.UTF_8);
      groupDigest = null;
      // The creator (every client with the same credentials) may do anything; anyone may read the line.
      ticketAcl = List.of(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS),
          new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
      parentAcl = ticketAcl;
    } else {
      digest = null;
      groupDigest = null;
      ticketAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
      parentAcl = ticketAcl;
    }
  }

  /** Adds this client's digest identities to a new handle, before its first request. */
  void authenticate(ZooKeeper zk) {
    if (digest != null) {
      zk.addAuthInfo("digest", digest);
    }
    if (groupDigest != null) {
      zk.addAuthInfo("digest", groupDigest);
    }
  }

  /** ZooKeeper's digest ACL id for {@code user:password}: {@code user:base64(sha1(user:password))}. */
  static Id digestId(String userAndPassword) {
    try {
      byte[] sha1 = java.security.MessageDigest.getInstance("SHA-1")
          .digest(userAndPassword.getBytes(StandardCharsets.UTF_8));
      String user = userAndPassword.substring(0, userAndPassword.indexOf(':'));
      return new Id("digest", user + ":" + java.util.Base64.getEncoder().encodeToString(sha1));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JDK", e);
    }
  }
}
