package dev.elector.cli;

import dev.elector.Participant;
import java.time.Instant;
import java.util.Optional;

/** How participants and leader changes are printed: plain text for people, JSON lines for programs. */
final class Format {
  private Format() {}

  static String text(Participant p) {
    String data = p.dataAsString();
    return p.candidateId() + " token=" + p.token() + (data.isEmpty() ? "" : " data=" + data);
  }

  static String json(Participant p) {
    return "{\"id\":" + quote(p.candidateId()) + ",\"token\":" + p.token() + ",\"data\":" + quote(p.dataAsString())
        + "}";
  }

  static String leaderText(Instant at, Optional<Participant> leader) {
    return at + " " + leader.map(p -> "leader " + text(p)).orElse("no leader");
  }

  static String leaderJson(Instant at, Optional<Participant> leader) {
    return "{\"time\":" + quote(at.toString()) + ",\"leader\":" + leader.map(Format::json).orElse("null") + "}";
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
