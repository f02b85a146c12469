package dev.elector;

import java.util.Optional;

/**
 * Receives an election's leader: first the current one (or none), then every change, in order, on the executor
 * given at registration (SPEC rules 5.1–5.4). {@code Optional.empty()} means the line is empty: no leader.
 * Tokens never go back. Must not block.
 *
 * <p>What is reported is the head of the line as the coordination service sees it; the candidate at the head may
 * not yet know it leads, or may have just lost contact. Use it for display and routing, not for fencing.
 */
@FunctionalInterface
public interface LeaderObserver {
  void leaderChanged(Optional<Participant> leader);
}
