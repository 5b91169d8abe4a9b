package hsa.drill;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java agent of the Kafka alerting drill: what jmx_prometheus_javaagent does when Strimzi starts a
 * broker or a Connect worker with `-javaagent:...=9404:<metrics config>`. The exporter (the JMX exporter's
 * collector and the client library's HTTP server, JmxExporter) runs in a class loader of its own, as the
 * real agent's shaded classes do, so its libraries never meet Kafka's.
 *
 * The system property hsa.jmx.exporter.classpath names the exporter's jars and JmxExporter's classes.
 */
public final class JmxExporterAgent {
  private JmxExporterAgent() {}

  public static void premain(String arguments, Instrumentation instrumentation) throws Exception {
    String classpath = System.getProperty("hsa.jmx.exporter.classpath");
    if (classpath == null) throw new IllegalStateException("hsa.jmx.exporter.classpath is not set");
    List<URL> urls = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) urls.add(new File(entry).toURI().toURL());
    ClassLoader exporterLoader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    exporterLoader.loadClass("hsa.drill.JmxExporter").getMethod("start", String.class).invoke(null, arguments);
  }
}
