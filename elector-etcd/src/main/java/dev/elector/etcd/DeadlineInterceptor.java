package dev.elector.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every gRPC call but the long-lived watch stream a deadline. jetcd sets none, and its channel waits for
 * readiness: behind a partition a call would otherwise hang forever and pile up. With a deadline the call is
 * cancelled on the wire and its future fails with {@code DEADLINE_EXCEEDED}.
 */
final class DeadlineInterceptor implements ClientInterceptor {
  private static final String WATCH = "etcdserverpb.Watch/Watch";
  private static final String KEEPALIVE = "etcdserverpb.Lease/LeaseKeepAlive";

  private final long callNanos;
  private final long keepAliveNanos;

  DeadlineInterceptor(Duration call, Duration keepAlive) {
    this.callNanos = call.toNanos();
    this.keepAliveNanos = keepAlive.toNanos();
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    String name = method.getFullMethodName();
    if (!WATCH.equals(name) && options.getDeadline() == null) {
      long nanos = KEEPALIVE.equals(name) ? keepAliveNanos : callNanos;
      options = options.withDeadlineAfter(nanos, TimeUnit.NANOSECONDS);
    }
    return next.newCall(method, options);
  }
}
