package dev.elector;

import dev.elector.internal.Checks;
import java.time.Duration;

/**
 * The input rules of SPEC rule 4.3 as public checks, for tools and applications that validate what a user typed
 * before they connect. Elector applies the same rules itself, before any I/O, wherever these values enter the API;
 * each method fails with an {@link InvalidInputException} naming the value and the rule.
 */
public final class InputRules {
  /** The longest election name or root path segment, in characters. */
  public static final int MAX_NAME_LENGTH = Checks.MAX_NAME_LENGTH;
  /** The longest candidate id, in characters. */
  public static final int MAX_ID_LENGTH = Checks.MAX_ID_LENGTH;

  private InputRules() {}

  /**
   * Checks an election name: 1 to {@value #MAX_NAME_LENGTH} of {@code [A-Za-z0-9._-]}, starting with a letter, a
   * digit or {@code _}.
   *
   * @param name the election name
   * @return {@code name}
   * @throws NullPointerException if {@code name} is null
   * @throws InvalidInputException if it breaks the rule
   */
  public static String checkElectionName(String name) {
    java.util.Objects.requireNonNull(name, "election name");
    return Checks.name("election name", name);
  }

  /**
   * Checks a candidate id: 1 to {@value #MAX_ID_LENGTH} characters, not blank, no control characters, well-formed
   * UTF-16.
   *
   * @param id the candidate id
   * @return {@code id}
   * @throws NullPointerException if {@code id} is null
   * @throws InvalidInputException if it breaks the rule
   */
  public static String checkCandidateId(String id) {
    java.util.Objects.requireNonNull(id, "candidate id");
    return Checks.candidateId(id);
  }

  /**
   * Checks a {@link LeaderWork} stop timeout ({@link LeaderWork.Builder#stopTimeout}): positive.
   *
   * @param timeout the timeout
   * @return {@code timeout}
   * @throws InvalidInputException if it is null, zero or negative
   */
  public static Duration checkStopTimeout(Duration timeout) {
    return Checks.positive("stopTimeout", timeout);
  }

  /**
   * Checks a candidate's data against a client's limit ({@link ClientConfig#maxDataBytes()}).
   *
   * @param data the data
   * @param maxDataBytes the limit, in bytes
   * @return a copy of {@code data}
   * @throws NullPointerException if {@code data} is null
   * @throws InvalidInputException if it is longer than the limit
   */
  public static byte[] checkData(byte[] data, int maxDataBytes) {
    java.util.Objects.requireNonNull(data, "candidate data");
    return Checks.data(data, maxDataBytes);
  }

  /**
   * Parses a duration as URIs take them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 such as
   * {@code PT10S}.
   *
   * @param what the value's name, for the error message
   * @param text the text to parse
   * @return the duration
   * @throws NullPointerException if {@code what} is null
   * @throws InvalidInputException if {@code text} is null, blank or not a duration
   */
  public static Duration parseDuration(String what, String text) {
    java.util.Objects.requireNonNull(what, "what");
    return Checks.parseDuration(what, text);
  }
}
