package dev.elector;

/**
 * Work that only the leader may do, run by {@link LeaderWork} for one term. It is handed the term it runs in: check
 * {@link Leadership#isValid()} before each action that must be done by the leader only, and pass
 * {@link Leadership#token()} to the resource acted on, so a deposed leader is rejected even if the task is slow to
 * notice (SPEC rule 1.2).
 *
 * <p>The thread running it is interrupted the moment the term ends. A task must return promptly when interrupted:
 * one that does not is reported as a {@link WorkOverrun} and keeps its thread until it returns.
 */
@FunctionalInterface
public interface LeaderTask {
  void run(Leadership term) throws Exception;
}
