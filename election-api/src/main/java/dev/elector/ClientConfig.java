package dev.elector;

import dev.elector.internal.Checks;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable client configuration. Build it with {@link #builder(String)} or parse it from a URI with
 * {@link #parse(String)}; every option a URI can carry can be set on the builder too.
 *
 * <pre>
 * zookeeper://h1:2181,h2:2181/my-app?sessionTimeout=10s&amp;connectTimeout=5s
 * etcd://h1:2379/my-app?sessionTimeout=10s&amp;username=app&amp;password=secret
 * mem://test/my-app
 * </pre>
 *
 * <p>The scheme picks the backend; the authority lists the endpoints; the path is the root under which elections
 * live ({@value #DEFAULT_ROOT} when absent). Query options: {@code sessionTimeout}, {@code connectTimeout},
 * {@code operationTimeout}, {@code maxDataBytes}; any other option is passed to the backend, which rejects the
 * ones it does not know. Every value is checked when the config is built, before any I/O: a value that breaks a
 * rule throws {@link InvalidInputException} naming it and the rule (SPEC rule 4.3); a null argument throws
 * {@link NullPointerException}.
 *
 * @param scheme the backend's URI scheme
 * @param endpoints the coordination service's endpoints ({@code host:port}), or the in-memory cluster's name
 * @param root the path under which elections live: {@code /} or {@code /seg/seg}; null or empty means
 *     {@value #DEFAULT_ROOT}
 * @param sessionTimeout how long the service keeps a silent client's session alive
 * @param connectTimeout how long {@link Elections#connect} waits for a first session
 * @param operationTimeout how long blocking helpers (such as {@code close()}) wait for the backend
 * @param maxDataBytes the largest candidate data accepted
 * @param options backend-specific options (credentials, TLS files, …); values are never printed
 */
public record ClientConfig(
    String scheme,
    List<String> endpoints,
    String root,
    Duration sessionTimeout,
    Duration connectTimeout,
    Duration operationTimeout,
    int maxDataBytes,
    Map<String, String> options) {

  public static final String DEFAULT_ROOT = "/elector";
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_DATA_BYTES = 16 * 1024;
  /** The hard cap on {@link #maxDataBytes()}: below every backend's request size limit. */
  public static final int MAX_DATA_BYTES_LIMIT = 512 * 1024;

  private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
  private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.\\-]*");
  private static final Pattern OPTION = Pattern.compile("[A-Za-z][A-Za-z0-9._\\-]*");
  private static final Set<String> CORE_OPTIONS =
      Set.of("sessionTimeout", "connectTimeout", "operationTimeout", "maxDataBytes");

  /**
   * Checks every value and copies the collections.
   *
   * @throws NullPointerException if any argument but {@code root} is null, or a list or map holds a null
   * @throws InvalidInputException if a value breaks its rule (see the class comment)
   */
  public ClientConfig {
    Objects.requireNonNull(scheme, "scheme");
    if (!SCHEME.matcher(scheme).matches()) {
      throw new InvalidInputException("scheme", scheme, "must be a URI scheme such as zookeeper, etcd or mem");
    }
    Objects.requireNonNull(endpoints, "endpoints");
    if (endpoints.isEmpty()) {
      throw new InvalidInputException("endpoints", endpoints, "must list at least one endpoint");
    }
    for (String e : endpoints) {
      Objects.requireNonNull(e, "endpoint");
      if (e.isBlank() || e.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/')) {
        throw new InvalidInputException("endpoint", e, "must be non-blank with no whitespace or '/'");
      }
    }
    endpoints = List.copyOf(endpoints);
    root = normalizeRoot(root);
    Checks.positive("sessionTimeout", sessionTimeout, MAX_TIMEOUT);
    Checks.positive("connectTimeout", connectTimeout, MAX_TIMEOUT);
    Checks.positive("operationTimeout", operationTimeout, MAX_TIMEOUT);
    if (maxDataBytes < 0 || maxDataBytes > MAX_DATA_BYTES_LIMIT) {
      throw new InvalidInputException(
          "maxDataBytes", maxDataBytes, "must be between 0 and " + MAX_DATA_BYTES_LIMIT);
    }
    Objects.requireNonNull(options, "options");
    TreeMap<String, String> copy = new TreeMap<>();
    for (var e : options.entrySet()) {
      Objects.requireNonNull(e.getKey(), "option name");
      Objects.requireNonNull(e.getValue(), "option " + e.getKey());
      if (!OPTION.matcher(e.getKey()).matches() || CORE_OPTIONS.contains(e.getKey())) {
        throw new InvalidInputException(
            "option name", e.getKey(), "must be an identifier and not a core option " + CORE_OPTIONS);
      }
      copy.put(e.getKey(), e.getValue());
    }
    options = Collections.unmodifiableMap(copy);
  }

  private static String normalizeRoot(String root) {
    if (root == null || root.isEmpty()) {
      return DEFAULT_ROOT;
    }
    if (!root.startsWith("/")) {
      throw new InvalidInputException("root", root, "must start with '/'");
    }
    String r = root.length() > 1 && root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    if (r.equals("/")) {
      return r;
    }
    for (String seg : r.substring(1).split("/", -1)) {
      Checks.name("root path segment", seg);
    }
    return r;
  }

  /**
   * A builder for the given scheme with every other value at its default. The scheme is checked by
   * {@link Builder#build()}.
   *
   * @throws NullPointerException if {@code scheme} is null
   */
  public static Builder builder(String scheme) {
    return new Builder(Objects.requireNonNull(scheme, "scheme"));
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder(scheme);
    b.endpoints = new ArrayList<>(endpoints);
    b.root = root;
    b.sessionTimeout = sessionTimeout;
    b.connectTimeout = connectTimeout;
    b.operationTimeout = operationTimeout;
    b.maxDataBytes = maxDataBytes;
    b.options = new TreeMap<>(options);
    return b;
  }

  /**
   * An option's value, if set.
   *
   * @throws NullPointerException if {@code name} is null
   */
  public java.util.Optional<String> option(String name) {
    Objects.requireNonNull(name, "name");
    return java.util.Optional.ofNullable(options.get(name));
  }

  /**
   * Parses {@code scheme://endpoint[,endpoint…][/root][?option=value&…]}.
   *
   * @throws NullPointerException if {@code uri} is null
   * @throws InvalidInputException naming the part that is wrong
   */
  public static ClientConfig parse(String uri) {
    Objects.requireNonNull(uri, "uri");
    if (uri.isBlank()) {
      throw new InvalidInputException("URI", uri, "must look like scheme://host:port[,host:port]/root?option=value");
    }
    int sep = uri.indexOf("://");
    if (sep <= 0) {
      throw new InvalidInputException("URI", uri, "must look like scheme://host:port[,host:port]/root?option=value");
    }
    Builder b = builder(uri.substring(0, sep).toLowerCase(Locale.ROOT));
    String rest = uri.substring(sep + 3);
    String query = null;
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/');
    String authority = slash >= 0 ? rest.substring(0, slash) : rest;
    String path = slash >= 0 ? rest.substring(slash) : "";
    if (authority.contains("@")) {
      throw new InvalidInputException(
          "URI authority", "(redacted: contains '@')", "must not carry credentials; use the username/password options");
    }
    if (authority.isEmpty()) {
      throw new InvalidInputException("URI", uri, "must name at least one endpoint after '://'");
    }
    b.endpoints = new ArrayList<>(List.of(authority.split(",", -1)));
    if (!path.isEmpty()) {
      b.root(path);
    }
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new InvalidInputException("URI option", pair, "must be name=value");
        }
        String name = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        switch (name) {
          case "sessionTimeout" -> b.sessionTimeout(Checks.parseDuration(name, value));
          case "connectTimeout" -> b.connectTimeout(Checks.parseDuration(name, value));
          case "operationTimeout" -> b.operationTimeout(Checks.parseDuration(name, value));
          case "maxDataBytes" -> {
            try {
              b.maxDataBytes(Integer.parseInt(value));
            } catch (NumberFormatException e) {
              throw new InvalidInputException("maxDataBytes", value, "must be a whole number of bytes");
            }
          }
          default -> b.option(name, value);
        }
      }
    }
    return b.build();
  }

  /** The URI form of this config, with secret option values replaced by {@code ***}. */
  public String toUri() {
    StringBuilder sb = new StringBuilder(scheme).append("://").append(String.join(",", endpoints)).append(root);
    sb.append("?sessionTimeout=").append(format(sessionTimeout))
        .append("&connectTimeout=").append(format(connectTimeout))
        .append("&operationTimeout=").append(format(operationTimeout))
        .append("&maxDataBytes=").append(maxDataBytes);
    options.forEach((k, v) -> sb.append('&').append(k).append('=').append(isSecret(k) ? "***" : v));
    return sb.toString();
  }

  private static String format(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /**
   * True for option names whose values must never be printed (passwords, tokens, keys).
   *
   * @throws NullPointerException if {@code optionName} is null
   */
  public static boolean isSecret(String optionName) {
    String n = optionName.toLowerCase(Locale.ROOT);
    return n.contains("password") || n.contains("secret") || n.contains("token") || n.contains("auth")
        || n.endsWith("key");
  }

  /** Never prints secret option values. */
  @Override
  public String toString() {
    return "ClientConfig[" + toUri() + "]";
  }

  /**
   * Builds a {@link ClientConfig}. Each setter checks its value at once, before any I/O: a value that breaks its
   * rule throws {@link InvalidInputException} naming the value and the rule (SPEC rule 4.3), a null argument throws
   * {@link NullPointerException}. {@link #build()} checks what no setter could (the scheme, at least one endpoint).
   */
  public static final class Builder {
    private final String scheme;
    private List<String> endpoints = new ArrayList<>();
    private String root = DEFAULT_ROOT;
    private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
    private int maxDataBytes = DEFAULT_MAX_DATA_BYTES;
    private Map<String, String> options = new TreeMap<>();

    private Builder(String scheme) {
      this.scheme = scheme;
    }

    /**
     * The coordination service's endpoints ({@code host:port}), or the in-memory cluster's name; replaces any set
     * before. Checked by {@link #build()}: at least one, none blank, none with whitespace or {@code /}.
     *
     * @param endpoints the endpoints
     * @return this builder
     * @throws NullPointerException if {@code endpoints} is null or holds a null
     */
    public Builder endpoints(List<String> endpoints) {
      Objects.requireNonNull(endpoints, "endpoints").forEach(e -> Objects.requireNonNull(e, "endpoint"));
      this.endpoints = new ArrayList<>(endpoints);
      return this;
    }

    /**
     * The endpoints, as {@link #endpoints(List)}.
     *
     * @param endpoints the endpoints
     * @return this builder
     * @throws NullPointerException if {@code endpoints} is null or holds a null
     */
    public Builder endpoints(String... endpoints) {
      return endpoints(java.util.Arrays.asList(Objects.requireNonNull(endpoints, "endpoints")));
    }

    /**
     * The path under which elections live: {@code /}, or {@code /seg/seg} where each segment follows the rule for
     * election names ({@link InputRules#checkElectionName}); a trailing {@code /} is dropped, and the empty string
     * means {@value ClientConfig#DEFAULT_ROOT}.
     *
     * @param root the root path
     * @return this builder
     * @throws NullPointerException if {@code root} is null
     * @throws InvalidInputException if it does not start with {@code /} or a segment breaks the rule
     */
    public Builder root(String root) {
      this.root = normalizeRoot(Objects.requireNonNull(root, "root"));
      return this;
    }

    /**
     * How long the service keeps a silent client's session alive.
     *
     * @param d the timeout
     * @return this builder
     * @throws NullPointerException if {@code d} is null
     * @throws InvalidInputException if it is not positive or longer than 10 minutes
     */
    public Builder sessionTimeout(Duration d) {
      this.sessionTimeout = Checks.positive("sessionTimeout", d, MAX_TIMEOUT);
      return this;
    }

    /**
     * How long {@link Elections#connect} waits for a first session.
     *
     * @param d the timeout
     * @return this builder
     * @throws NullPointerException if {@code d} is null
     * @throws InvalidInputException if it is not positive or longer than 10 minutes
     */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = Checks.positive("connectTimeout", d, MAX_TIMEOUT);
      return this;
    }

    /**
     * How long blocking helpers (such as {@code close()}) wait for the backend.
     *
     * @param d the timeout
     * @return this builder
     * @throws NullPointerException if {@code d} is null
     * @throws InvalidInputException if it is not positive or longer than 10 minutes
     */
    public Builder operationTimeout(Duration d) {
      this.operationTimeout = Checks.positive("operationTimeout", d, MAX_TIMEOUT);
      return this;
    }

    /**
     * The largest candidate data accepted.
     *
     * @param bytes the limit, in bytes
     * @return this builder
     * @throws InvalidInputException if it is negative or above {@value ClientConfig#MAX_DATA_BYTES_LIMIT}
     */
    public Builder maxDataBytes(int bytes) {
      if (bytes < 0 || bytes > MAX_DATA_BYTES_LIMIT) {
        throw new InvalidInputException("maxDataBytes", bytes, "must be between 0 and " + MAX_DATA_BYTES_LIMIT);
      }
      this.maxDataBytes = bytes;
      return this;
    }

    /**
     * Sets a backend-specific option; the backend rejects names it does not know when connecting.
     *
     * @param name the option's name: an identifier, not one of the core options that have their own setter
     * @param value its value
     * @return this builder
     * @throws NullPointerException if {@code name} or {@code value} is null
     * @throws InvalidInputException if {@code name} is not an identifier or is a core option
     */
    public Builder option(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (!OPTION.matcher(name).matches() || CORE_OPTIONS.contains(name)) {
        throw new InvalidInputException("option name", name, "must be an identifier and not a core option "
            + "(sessionTimeout, connectTimeout, operationTimeout, maxDataBytes have their own setters)");
      }
      options.put(name, value);
      return this;
    }

    /**
     * The config.
     *
     * @return the config
     * @throws InvalidInputException if the scheme is not a URI scheme or no endpoint was given, or an endpoint
     *     breaks its rule
     */
    public ClientConfig build() {
      return new ClientConfig(
          scheme, endpoints, root, sessionTimeout, connectTimeout, operationTimeout, maxDataBytes, options);
    }
  }
}
