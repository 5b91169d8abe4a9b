/**
 * The Prometheus JMX exporter as a Java agent, as Strimzi's Kafka image runs it beside every broker and
 * MirrorMaker 2 worker: the exporter's collector at the version that image ships (1.5.0), from Maven
 * (test/drills/kafka/jmx-exporter/pom.xml), with the few lines of the agent itself
 * (test/drills/kafka/jmx-exporter/*.java, compiled here with the JDK's javac): the
 * jmx_prometheus_javaagent jar is not served by the Maven mirror this machine reaches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SOURCES = join(ROOT, 'test', 'drills', 'kafka', 'jmx-exporter');
export const JMX_EXPORTER_LIBS = process.env.HSA_JMX_EXPORTER_LIBS ?? join(ROOT, '.cache', 'jmx-exporter-libs');

export interface JmxExporterAgent {
  /** JVM options that start the exporter at `host:port` with the rules file (JSON or YAML). */
  options(host: string, port: number, config: string): string[];
}

/** Compiles the agent into `work`; fails naming the command when the exporter's jars are missing. */
export function buildJmxExporterAgent(work: string): JmxExporterAgent {
  const jars = existsSync(JMX_EXPORTER_LIBS) ? readdirSync(JMX_EXPORTER_LIBS).filter((f) => f.endsWith('.jar')) : [];
  if (!jars.includes('collector-1.5.0.jar')) {
    throw new Error(`no JMX exporter collector 1.5.0 in ${JMX_EXPORTER_LIBS}: run mvn -f test/drills/kafka/jmx-exporter/pom.xml dependency:copy-dependencies -DoutputDirectory=${JMX_EXPORTER_LIBS} (.ci/run does)`);
  }
  const dir = join(work, 'jmx-exporter');
  const agentClasses = join(dir, 'agent');
  const exporterClasses = join(dir, 'exporter');
  mkdirSync(agentClasses, { recursive: true });
  mkdirSync(exporterClasses, { recursive: true });
  const libs = jars.map((jar) => join(JMX_EXPORTER_LIBS, jar));
  execFileSync('javac', ['-d', agentClasses, join(SOURCES, 'JmxExporterAgent.java')], { stdio: 'pipe' });
  execFileSync('javac', ['-cp', libs.join(delimiter), '-d', exporterClasses, join(SOURCES, 'JmxExporter.java')], { stdio: 'pipe' });
  const manifest = join(dir, 'MANIFEST.MF');
  writeFileSync(manifest, 'Premain-Class: hsa.drill.JmxExporterAgent\n');
  const agentJar = join(dir, 'jmx-exporter-agent.jar');
  execFileSync('jar', ['cfm', agentJar, manifest, '-C', agentClasses, '.'], { stdio: 'pipe' });
  const classpath = [exporterClasses, ...libs].join(delimiter);
  return { options: (host, port, config) => [`-javaagent:${agentJar}=${host}:${port}:${config}`, `-Dhsa.jmx.exporter.classpath=${classpath}`] };
}
