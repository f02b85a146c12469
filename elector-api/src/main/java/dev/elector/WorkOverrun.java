package dev.elector;

import java.time.Duration;

/**
 * A leader-only task still running after its term ended and its thread was interrupted: it ignores interruption.
 * Reported by {@link LeaderWork} once the task has been running {@code stopTimeout} past the end of its term, and
 * listed by {@link LeaderWork#overruns()} until the task returns. Its thread is not abandoned: no later term's run of
 * the same task starts until it returns.
 *
 * @param election the election's name
 * @param candidateId the candidate whose term it was
 * @param token the token of the term that ended
 * @param task the task's name
 * @param thread the name of the thread still running it
 * @param overdue how long after the end of the term the task was still running when reported
 * @param stack where the thread was when reported
 */
public record WorkOverrun(String election, String candidateId, long token, String task, String thread,
    Duration overdue, StackTraceElement[] stack) {
  public WorkOverrun {
    stack = stack.clone();
  }

  @Override
  public StackTraceElement[] stack() {
    return stack.clone();
  }

  @Override
  public String toString() {
    return "task '" + task + "' of candidate '" + candidateId + "' in election '" + election + "' (term " + token
        + ") still running on thread '" + thread + "' " + overdue.toMillis() + " ms after its term ended";
  }
}
