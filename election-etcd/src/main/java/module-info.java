/** Elector's etcd backend: one provider for the {@code etcd} scheme, nothing exported. */
module dev.elector.etcd {
  requires dev.elector;
  requires jetcd.core;
  requires jetcd.common;
  requires io.grpc;
  requires jetcd.grpc;
  requires com.google.protobuf;
  requires io.netty.handler;

  provides dev.elector.spi.ElectionProvider with dev.elector.etcd.EtcdElectionProvider;
}
