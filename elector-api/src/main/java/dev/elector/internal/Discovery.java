package dev.elector.internal;

import dev.elector.ClientConfig;
import dev.elector.InvalidInputException;
import dev.elector.ProviderException;
import dev.elector.spi.ElectionProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds the provider for a scheme; never fails quietly (SPEC rule 4.4). Not for application code. */
public final class Discovery {
  /** Where each known scheme lives, for "add this artifact" messages. */
  private static final Map<String, String> KNOWN = Map.of(
      "zookeeper", "dev.elector:elector-zookeeper",
      "etcd", "dev.elector:elector-etcd",
      "postgresql", "dev.elector:elector-postgres",
      "mem", "dev.elector:elector-mem");

  private Discovery() {}

  /** Every provider that loads, failing with the provider's name if one does not. */
  public static List<ElectionProvider> providers(ClassLoader loader) {
    List<ElectionProvider> found = new ArrayList<>();
    // The loader's named modules (module path) and its META-INF/services files (class path) both count.
    ServiceLoader<ElectionProvider> sl = ServiceLoader.load(ElectionProvider.class, loader);
    Iterator<ServiceLoader.Provider<ElectionProvider>> it = sl.stream().iterator();
    while (true) {
      ServiceLoader.Provider<ElectionProvider> p;
      try {
        if (!it.hasNext()) {
          break;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        throw new ProviderException("An Elector backend on the class path could not be loaded: " + e.getMessage(), e);
      }
      try {
        found.add(p.get());
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        throw new ProviderException(
            "The Elector backend " + p.type().getName() + " failed to load: " + e, e);
      }
    }
    return found;
  }

  public static ElectionProvider provider(String scheme, ClassLoader loader) {
    return select(scheme, providers(loader));
  }

  /** Picks the one provider for the scheme out of {@code found}. */
  public static ElectionProvider select(String scheme, List<ElectionProvider> found) {
    List<ElectionProvider> matching = new ArrayList<>();
    TreeSet<String> schemes = new TreeSet<>();
    for (ElectionProvider p : found) {
      schemes.add(p.scheme() + " (" + p.getClass().getName() + ")");
      if (p.scheme().equals(scheme)) {
        matching.add(p);
      }
    }
    String add = KNOWN.containsKey(scheme)
        ? "add " + KNOWN.get(scheme) + " to the class path"
        : "add the artifact of a backend for '" + scheme + "' to the class path (Elector ships " + KNOWN.values() + ")";
    if (found.isEmpty()) {
      throw new ProviderException(
          "No Elector backend is on the class path, so scheme '" + scheme + "' cannot be served: " + add);
    }
    if (matching.isEmpty()) {
      throw new ProviderException(
          "No Elector backend serves scheme '" + scheme + "'; found only " + schemes + ": " + add);
    }
    if (matching.size() > 1) {
      List<String> names = new ArrayList<>();
      matching.forEach(p -> names.add(p.getClass().getName() + " from " + p.artifact()));
      throw new ProviderException("Several Elector backends serve scheme '" + scheme + "' when only one is expected: "
          + names + "; remove all but one from the class path");
    }
    return matching.get(0);
  }

  /** Rejects option names the provider does not know, then runs the provider's own checks. */
  public static void validate(ElectionProvider provider, ClientConfig config) {
    for (String name : config.options().keySet()) {
      if (!provider.options().contains(name)) {
        throw new InvalidInputException("option", name,
            "is not known to the '" + provider.scheme() + "' backend, which accepts " + new TreeSet<>(provider.options())
                + " besides sessionTimeout, connectTimeout, operationTimeout and maxDataBytes");
      }
    }
    provider.validate(config);
  }
}
