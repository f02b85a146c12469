package dev.elector.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method only while this application's {@link ElectorCandidate} holds a valid term; otherwise the
 * call does nothing and returns {@code null}. Meant for {@code @Scheduled} jobs that every instance schedules and only
 * the leader should run:
 *
 * <pre>{@code
 * @Scheduled(fixedDelay = 5000)
 * @LeaderOnly
 * void report() {
 *   Leadership term = LeaderContext.currentTerm().orElseThrow(); // bound for the length of the call
 *   store.write(rows, term.token());                              // fence writes with the token
 * }
 * }</pre>
 *
 * <p>The method must return {@code void} or a reference type, and its bean must be proxyable (CGLIB: not final);
 * startup fails naming the method or bean otherwise, also when the annotation is inherited from an interface or
 * superclass method. Only calls through the bean reference Spring hands out are guarded: a call from another method
 * of the same object ({@code this.report()}) bypasses the proxy and runs on every instance.
 * The check is made when the call starts; a term can end during the call, and the call is not interrupted: check
 * {@link dev.elector.Leadership#isValid()} between steps and fence writes with the token. For work that must stop the
 * moment the term ends, use {@link dev.elector.LeaderWork} (see the README). Without an {@link ElectorCandidate} (no
 * {@code elector.election}, or {@code elector.enabled=false}) the method never runs.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderOnly {}
