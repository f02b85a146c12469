package dev.elector.etcd;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

/**
 * Hands {@link WatchStream} jetcd's own gRPC channel and call credentials, seen on the first call jetcd makes (the
 * lease grant that opens the session). jetcd opens one gRPC stream per watch and does not expose its channel; its
 * generated stubs on this channel let one stream per session carry many watches (etcd's Watch API multiplexes them
 * by watch id), with jetcd's TLS, endpoints and authentication token unchanged.
 */
final class ChannelTap implements ClientInterceptor {
  private volatile Channel channel;
  private volatile CallCredentials credentials;

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (channel == null) {
      credentials = options.getCredentials();
      channel = next;
    }
    return next.newCall(method, options);
  }

  /** jetcd's channel past this interceptor; null before jetcd's first call. */
  Channel channel() {
    return channel;
  }

  /** The credentials jetcd attaches to its calls (its authentication token), or null. */
  CallCredentials credentials() {
    return credentials;
  }
}
