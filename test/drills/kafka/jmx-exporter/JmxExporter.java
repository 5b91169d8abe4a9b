package hsa.drill;

import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.File;

/** The exporter the agent starts: the collector with the given rules, in agent mode, served over HTTP. */
public final class JmxExporter {
  private JmxExporter() {}

  /**
   * `[<host>:]<port>:<config file>`, the real agent's argument: Strimzi passes `9404:<file>` (every
   * address of the pod); the drill names the address, as its broker and MirrorMaker 2 share a namespace.
   */
  public static void start(String arguments) throws Exception {
    String[] parts = arguments.split(":", 3);
    if (parts.length < 2) throw new IllegalArgumentException("expected [<host>:]<port>:<config file>, got " + arguments);
    boolean withHost = parts.length == 3;
    String host = withHost ? parts[0] : null;
    int port = Integer.parseInt(withHost ? parts[1] : parts[0]);
    File config = new File(withHost ? parts[2] : parts[1]);
    new JmxCollector(config, JmxCollector.Mode.AGENT).register(PrometheusRegistry.defaultRegistry);
    HTTPServer.Builder server = HTTPServer.builder().port(port).registry(PrometheusRegistry.defaultRegistry);
    if (host != null) server.hostname(host);
    server.buildAndStart();
  }
}
