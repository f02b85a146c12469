package dev.elector;

/**
 * Receives a client's session state changes, in order, on the executor given at registration. Must not block: it
 * delays later events for this listener. By the time it runs, the state may have moved on.
 */
@FunctionalInterface
public interface SessionListener {
  /**
   * @param state the new state
   * @param sessionId the backend's id of the session the state refers to (a ZooKeeper session id, an etcd lease id)
   */
  void sessionStateChanged(SessionState state, long sessionId);
}
