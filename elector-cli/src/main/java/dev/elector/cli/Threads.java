package dev.elector.cli;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so a stuck helper never keeps the tool alive after its command is done. */
final class Threads {
  private Threads() {}

  static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      int i = n.getAndIncrement();
      Thread t = new Thread(r, i == 0 ? name : name + "-" + i);
      t.setDaemon(true);
      return t;
    };
  }
}
