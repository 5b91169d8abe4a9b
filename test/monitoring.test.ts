/**
 * Each site cluster's monitoring as synthesized: the values the prometheus chart gets carry exactly the
 * unit's generated rules, scrape targets and routing, the namespace reaches only what it scrapes and the
 * receivers, the scraped namespaces admit it on their exporter ports only, and a province running its own
 * stack gets none of it. The real judges: the conformance procedure renders these values with the real
 * chart (docs/conformance.md), the rehearsal applies them to a real API server (docs/deploy-rehearsal.md),
 * promtool checks the rules and the observability drill runs them (test/drills/).
 */
import { alertmanagerConfig } from '../model/alertmanager-config';
import { CADVISOR_JOB, KEPT_SERIES, KUBELET_JOB } from '../model/cluster-monitoring';
import { dashboardQueries, unitDashboards } from '../model/dashboards';
import { unitAlertRules, unitProbes, unitScrapeJobs } from '../model/observability';
import { resolveProvince } from '../model/platform-model';
import { obsEveryPairAlerted } from '../compliance/rules/obs-every-pair-alerted';
import { MONITORING_PODS } from '../constructs/observability/site-monitoring';
import { provinceSubject } from '../compliance/check-province';
import type { JsonObject, StackJson } from '../compliance/types';
import { environmentJson, loadEnvironment, parseJson, synthesizeStacks } from './support/fixtures';

const demo = loadEnvironment('demo');
const model = resolveProvince('demo', demo.environment);
const stacks = synthesizeStacks([demo]);

function monitoringRelease(stack: StackJson): JsonObject & { values: string[] } {
  const release = Object.values(stack.resource?.helm_release ?? {}).find((r) => r.name === 'prometheus');
  if (!release) throw new Error('no prometheus release');
  return release as JsonObject & { values: string[] };
}

function policies(stack: StackJson, namespace: string): Map<string, JsonObject> {
  const found = Object.values(stack.resource?.kubernetes_network_policy_v1 ?? {}).filter((p) => (p.metadata as JsonObject).namespace === namespace);
  return new Map(found.map((p) => [(p.metadata as JsonObject).name as string, p]));
}

/** The monitoring namespace's policies of a stack (their namespace is a reference to the namespace resource). */
const monitoringPolicies = (stack: StackJson) =>
  policies(stack, '${kubernetes_namespace_v1.Platform_Monitoring_Namespace_' + String(Object.keys(stack.resource!.kubernetes_namespace_v1!).find((k) => k.startsWith('Platform_Monitoring'))).split('Platform_Monitoring_Namespace_')[1] + '.metadata[0].name}');

const portsOf = (policy: JsonObject | undefined, direction: 'ingress' | 'egress') =>
  (((policy?.spec ?? {}) as JsonObject)[direction] as JsonObject[]).flatMap((rule) => (rule.ports as JsonObject[]).map((p) => Number(p.port))).sort((a, b) => a - b);

test("every unit runs its Prometheus with exactly its generated rules, targets and routing, and no Kubernetes discovery but its cluster's nodes", () => {
  for (const unit of model.units) {
    const stack = stacks.get(unit.stackName) as unknown as StackJson;
    const release = monitoringRelease(stack);
    expect(release.namespace).toBe('${kubernetes_namespace_v1.Platform_Monitoring_Namespace_' + String(Object.keys(stack.resource!.kubernetes_namespace_v1!).find((k) => k.startsWith('Platform_Monitoring')))!.split('Platform_Monitoring_Namespace_')[1] + '.metadata[0].name}');
    const values = JSON.parse(release.values[0]!) as JsonObject & {
      serverFiles: { 'alerting_rules.yml': { groups: unknown } };
      scrapeConfigs: Record<string, JsonObject>;
      alertmanager: { config: JsonObject };
      rbac: { create: boolean };
    };
    expect(values.serverFiles['alerting_rules.yml'].groups).toEqual(JSON.parse(JSON.stringify(unitAlertRules(model, unit))));
    expect(values.rbac.create).toBe(false);
    const enabled = Object.entries(values.scrapeConfigs).filter(([, job]) => job.enabled);
    // Only the model's jobs run and the kubelets' (none of the chart's Kubernetes discovery).
    const probeJobs = [...new Set(unitProbes(unit).map((probe) => `probe-${probe.module}`))];
    expect(enabled.map(([name]) => name).sort()).toEqual([...unitScrapeJobs(unit).map((job) => job.name), ...probeJobs, KUBELET_JOB, CADVISOR_JOB].sort());
    for (const probe of unitProbes(unit)) {
      expect(values.scrapeConfigs[`probe-${probe.module}`]!.static_configs).toContainEqual({ targets: [probe.address], labels: probe.labels });
    }
    const discovering = Object.entries(values.scrapeConfigs).filter(([, job]) => JSON.stringify(job).includes('kubernetes_sd_configs'));
    expect(discovering.map(([name, job]) => [name, job.kubernetes_sd_configs])).toEqual([
      [KUBELET_JOB, [{ role: 'node' }]],
      [CADVISOR_JOB, [{ role: 'node' }]],
    ]);
    for (const job of unitScrapeJobs(unit)) {
      const config = values.scrapeConfigs[job.name]!;
      for (const target of job.targets.filter((t) => !t.everyAddress)) {
        expect(config.static_configs).toContainEqual({ targets: [target.address], labels: target.labels });
      }
    }
    expect(values.alertmanager.config).toEqual({ enabled: true, templates: [], ...JSON.parse(JSON.stringify(alertmanagerConfig(demo.environment.observability!))) });
  }
  // The core zone's Prometheus finds every broker and every MirrorMaker 2 worker by DNS, with the pair's labels.
  const coreB = JSON.parse(monitoringRelease(stacks.get('demo-core-b') as unknown as StackJson).values[0]!) as { scrapeConfigs: Record<string, JsonObject> };
  expect(coreB.scrapeConfigs['kafka-mirror']).toEqual({
    enabled: true,
    dns_sd_configs: [{ names: ['mirror-from-core-a-metrics.hsa-middleware.svc'], type: 'A', port: 9404 }],
    relabel_configs: [
      { source_labels: ['__meta_dns_name'], regex: 'mirror-from-core-a-metrics\\.hsa-middleware\\.svc', target_label: 'hsa_pair', replacement: 'kafka@core' },
      { source_labels: ['__meta_dns_name'], regex: 'mirror-from-core-a-metrics\\.hsa-middleware\\.svc', target_label: 'hsa_site', replacement: 'B' },
    ],
  });
});

test('the monitoring namespace reaches the exporter ports it scrapes and the receivers, and the scraped namespaces admit it there only', () => {
  const stack = stacks.get('demo-core-a') as unknown as StackJson;
  const monitoring = monitoringPolicies(stack);
  expect([...monitoring.keys()].sort()).toEqual([
    'allow-cluster-dns',
    'allow-same-namespace',
    'allow-to-alert-receivers',
    'allow-to-api-server',
    'allow-to-hsa-backup',
    'allow-to-hsa-business',
    'allow-to-hsa-gateway',
    'allow-to-hsa-middleware',
    'allow-to-kubelets',
    'allow-to-probed-22122-tcp',
    'allow-to-probed-23000-tcp',
    'allow-to-probed-53-udp',
    'allow-to-probed-6379-tcp',
    'allow-to-probed-80-tcp',
    'allow-to-probed-8081-tcp',
    'allow-to-probed-9094-tcp',
    'default-deny',
  ]);
  expect(portsOf(monitoring.get('allow-to-hsa-gateway'), 'egress')).toEqual([8100]);
  // Each probed port to exactly the addresses probed on it: FastDFS's at both sites, the rest this site's own.
  const cidrsOf = (policy: JsonObject | undefined) => (((policy?.spec ?? {}) as JsonObject).egress as JsonObject[]).flatMap((rule) => (rule.to as JsonObject[]).map((to) => (to.ip_block as JsonObject).cidr));
  expect(cidrsOf(monitoring.get('allow-to-probed-23000-tcp'))).toEqual(['10.10.2.24/32', '10.20.2.24/32']);
  expect(cidrsOf(monitoring.get('allow-to-probed-53-udp'))).toEqual([`${model.units.find((u) => u.stackName === 'demo-core-a')!.dnsVip}/32`]);
  expect(portsOf(monitoring.get('allow-to-hsa-middleware'), 'egress')).toEqual([9121, 9187, 9404]);
  expect(portsOf(monitoring.get('allow-to-hsa-backup'), 'egress')).toEqual([8085]);
  expect(portsOf(monitoring.get('allow-to-alert-receivers'), 'egress')).toEqual([443]);
  // The kubelets on their port at the cluster's nodes only, and the API server (the node discovery).
  expect(portsOf(monitoring.get('allow-to-kubelets'), 'egress')).toEqual([10250]);
  expect(cidrsOf(monitoring.get('allow-to-kubelets'))).toEqual(demo.environment.sites.A.zones.core.nodeNetworks);
  expect(cidrsOf(monitoring.get('allow-to-api-server'))).toEqual([`${demo.environment.sites.A.zones.core.apiServer.address}/32`]);
  expect(portsOf(monitoring.get('allow-to-api-server'), 'egress')).toEqual([6443]);
  const middleware = [...Object.values(stack.resource!.kubernetes_network_policy_v1!)].find((p) => (p.metadata as JsonObject).name === 'allow-from-monitoring' && String((p.metadata as JsonObject).namespace).includes('Middleware'));
  expect(portsOf(middleware, 'ingress')).toEqual([9121, 9187, 9404]);
});

test("each of the monitoring namespace's egress paths is open to the one component that uses it: the server, Alertmanager or the blackbox exporter", () => {
  const stack = stacks.get('demo-core-a') as unknown as StackJson;
  const selectorOf = (policy: JsonObject | undefined) => ((policy!.spec as JsonObject).pod_selector as JsonObject).match_labels;
  const monitoring = monitoringPolicies(stack);
  for (const [name, policy] of monitoring) {
    const expected = name === 'allow-to-alert-receivers' ? MONITORING_PODS.alertmanager : name.startsWith('allow-to-probed-') ? MONITORING_PODS.blackbox : name.startsWith('allow-to-') ? MONITORING_PODS.server : undefined;
    expect({ name, selector: selectorOf(policy) }).toEqual({ name, selector: expected });
  }
  expect(MONITORING_PODS.server).toEqual({ 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/instance': 'prometheus' });
});

test('a receiver named by host without receiverNetworks is refused, naming the field and the fix; a province running its own stack deploys none', () => {
  const json = environmentJson('demo');
  const observability = json.observability as JsonObject;
  delete observability.receiverNetworks;
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*observability\.receiverNetworks.*receivers\.default\.webhook names its host by name.*add receiverNetworks/s);
  observability.stack = 'own';
  const own = parseJson(json);
  const ownStacks = synthesizeStacks([own]);
  for (const stack of ownStacks.values()) {
    expect(Object.values((stack as unknown as StackJson).resource?.helm_release ?? {}).some((r) => r.name === 'prometheus')).toBe(false);
    expect(JSON.stringify((stack as unknown as StackJson).resource?.kubernetes_network_policy_v1 ?? {})).not.toContain('allow-from-monitoring');
  }
  // Its rules are still generated (npm run alerts), and compliance checks those.
  const ownModel = resolveProvince('demo', own.environment);
  const outcome = obsEveryPairAlerted.check(provinceSubject(ownModel, ownStacks as unknown as Map<string, StackJson>, { edition: '2025' }));
  expect(outcome.status).toBe('compliant');
});

test("a receiver's URL kept in a Secret: Alertmanager reads it from the mounted Secret, the URL is nowhere in the output; a URL carrying a token is refused, naming the fix", () => {
  const ningxia = loadEnvironment('ningxia');
  const ningxiaStacks = synthesizeStacks([ningxia]);
  for (const name of ['ningxia-core-a', 'ningxia-public-b']) {
    const values = JSON.parse(monitoringRelease(ningxiaStacks.get(name) as unknown as StackJson).values[0]!) as { alertmanager: { config: { receivers: JsonObject[] }; extraSecretMounts: JsonObject[] } };
    expect(values.alertmanager.config.receivers.find((r) => r.name === 'database')).toEqual({ name: 'database', webhook_configs: [{ url_file: '/etc/alertmanager/receivers/hsa-alerts-database-robot/url', send_resolved: true }] });
    expect(values.alertmanager.extraSecretMounts).toEqual([{ name: 'receiver-hsa-alerts-database-robot', mountPath: '/etc/alertmanager/receivers/hsa-alerts-database-robot', secretName: 'hsa-alerts-database-robot', readOnly: true }]);
    // The NetworkPolicy towards the receivers: their networks, on the Secret's port (443 by default) and the others'.
    expect(portsOf(monitoringPolicies(ningxiaStacks.get(name) as unknown as StackJson).get('allow-to-alert-receivers'), 'egress')).toEqual([443]);
  }
  // A province without such receivers mounts nothing (demo's values are as before).
  expect(monitoringRelease(stacks.get('demo-core-a') as unknown as StackJson).values[0]).not.toContain('extraSecretMounts');

  const json = environmentJson('demo');
  const teams = (json.observability as JsonObject).receivers as { teams: Record<string, JsonObject> };
  teams.teams.platform = { webhook: 'https://oapi.dingtalk.example/robot/send?access_token=0123456789abcdef' };
  expect(() => parseJson(json)).toThrow(/observability\.receivers\.teams\.platform\.webhook.*carries a credential \(access_token\).*plaintext.*webhookFromSecret/s);
  teams.teams.platform = { webhook: 'https://oncall.example.internal/x', webhookFromSecret: { secret: 'robot' } };
  expect(() => parseJson(json)).toThrow(/receivers\.teams\.platform.*give either webhook .* or webhookFromSecret/s);
  teams.teams.platform = { webhookFromSecret: { secret: 'robot', port: 8443 } };
  delete (json.observability as JsonObject).receiverNetworks;
  expect(() => parseJson(json)).toThrow(/observability\.receiverNetworks.*webhookFromSecret keeps its URL out of the output.*add receiverNetworks/s);
  (json.observability as JsonObject).receiverNetworks = ['10.30.0.0/24'];
  const settings = parseJson(json).environment.observability!;
  expect(alertmanagerConfig(settings).receivers.find((r) => r.name === 'platform')).toEqual({ name: 'platform', webhook_configs: [{ url_file: '/etc/alertmanager/receivers/robot/url', send_resolved: true }] });
  const withSecret = synthesizeStacks([parseJson(json)]);
  expect(portsOf(monitoringPolicies(withSecret.get('demo-core-a') as unknown as StackJson).get('allow-to-alert-receivers'), 'egress')).toEqual([443, 8443]);
});

test("the cluster's own metrics: a ClusterRole with nodes and nodes/metrics only, bound to Prometheus's ServiceAccount; the kubelets read with its token; missing nodeNetworks refused naming the field; off by one switch", () => {
  const stack = stacks.get('demo-core-b') as unknown as StackJson;
  const [role] = Object.values(stack.resource!.kubernetes_cluster_role_v1!);
  expect(role).toMatchObject({
    metadata: { name: 'hsa-monitoring-core-kubelet-reader' },
    rule: [
      { api_groups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { api_groups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
    ],
  });
  const [binding] = Object.values(stack.resource!.kubernetes_cluster_role_binding_v1!);
  expect(binding).toMatchObject({ role_ref: { kind: 'ClusterRole', name: 'hsa-monitoring-core-kubelet-reader' }, subject: [{ kind: 'ServiceAccount', name: 'prometheus-server' }] });
  const values = JSON.parse(monitoringRelease(stack).values[0]!) as { serviceAccounts: JsonObject; server: JsonObject; scrapeConfigs: Record<string, JsonObject> };
  expect(values.serviceAccounts).toEqual({ server: { create: true, name: 'prometheus-server' } });
  expect(values.server.automountServiceAccountToken).toBe(true);
  expect(values.scrapeConfigs[CADVISOR_JOB]).toMatchObject({
    scheme: 'https',
    metrics_path: '/metrics/cadvisor',
    authorization: { credentials_file: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
    tls_config: { insecure_skip_verify: true },
    relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }, { target_label: 'hsa_site', replacement: 'B' }],
    metric_relabel_configs: [{ source_labels: ['__name__'], regex: KEPT_SERIES[CADVISOR_JOB].join('|'), action: 'keep' }],
  });
  // Every series an alert or a dashboard reads from the kubelets is kept at scrape.
  const kept = [...KEPT_SERIES[KUBELET_JOB], ...KEPT_SERIES[CADVISOR_JOB]];
  const reads = [...unitAlertRules(model, model.units[1]!).flatMap((g) => g.rules.map((r) => r.expr)), ...unitDashboards(model, model.units[1]!).flatMap((d) => dashboardQueries(d.json))].join('\n');
  for (const name of reads.match(/\b(container|machine|kubelet_volume)_[a-z_]+/g) ?? []) expect(kept).toContain(name);

  const json = environmentJson('demo');
  delete ((((json.sites as JsonObject).B as JsonObject).zones as JsonObject).public as JsonObject).nodeNetworks;
  expect(() => parseJson(json)).toThrow(/environments\/demo\.json.*sites\.B\.zones\.public\.nodeNetworks.*CIDRs of this cluster's nodes.*clusterMetrics\.enabled to false/s);
  (json.observability as JsonObject).clusterMetrics = { enabled: false, kubeletTls: 'cluster-ca' };
  const off = synthesizeStacks([parseJson(json)]);
  for (const offStack of off.values()) {
    const plain = offStack as unknown as StackJson;
    expect(plain.resource?.kubernetes_cluster_role_v1).toBeUndefined();
    const offValues = JSON.parse(monitoringRelease(plain).values[0]!) as { server: JsonObject; scrapeConfigs: Record<string, JsonObject> };
    expect(offValues.server.automountServiceAccountToken).toBe(false);
    expect(JSON.stringify(offValues.scrapeConfigs)).not.toContain('kubernetes_sd_configs');
    expect(JSON.stringify(plain.resource?.kubernetes_network_policy_v1)).not.toContain('allow-to-kubelets');
  }
});

test('OBS-EveryPairAlerted names every pair and backup nothing alerts on', () => {
  const check = (s: Map<string, StackJson>, m = model) => {
    const outcome = obsEveryPairAlerted.check(provinceSubject(m, s, { edition: '2025' }));
    return outcome.status === 'non-compliant' ? outcome.problems.map((p) => `${p.stack}: ${p.message}`) : [];
  };
  const asSynthesized = stacks as unknown as Map<string, StackJson>;
  expect(check(asSynthesized)).toEqual([]);
  // Monitoring whose rules lost the Redis pairs' alerts and the backup's: each is named.
  const copy = new Map(asSynthesized);
  const stack = JSON.parse(JSON.stringify(asSynthesized.get('demo-public-a'))) as StackJson;
  const release = monitoringRelease(stack);
  const comment = release['//'] as { hsa: { alerted: { pairs: string[]; backups: string[] } } };
  comment.hsa.alerted = { pairs: [], backups: [] };
  copy.set('demo-public-a', stack);
  expect(check(copy).filter((m) => m.startsWith('demo-public-a'))).toEqual([
    'demo-public-a: the DR pair redis-cache@public at site A has no alert',
    'demo-public-a: the DR pair redis-session@public at site A has no alert',
    'demo-public-a: the backup velero@public-a has no alert',
  ]);
  // A province that declares no receivers alerts nobody.
  const { observability: _dropped, ...withoutObservability } = model;
  expect(check(asSynthesized, withoutObservability)).toEqual([
    'demo-public-a: redis-cache@public, redis-session@public, velero@public-a alert nobody: the environment declares no observability.receivers',
    'demo-public-b: redis-cache@public, redis-session@public, velero@public-b alert nobody: the environment declares no observability.receivers',
    'demo-core-a: redis-cache@core, redis-session@core, kafka@core, fastdfs@core, database@core, velero@core-a alert nobody: the environment declares no observability.receivers',
    'demo-core-b: redis-cache@core, redis-session@core, kafka@core, fastdfs@core, database@core, velero@core-b alert nobody: the environment declares no observability.receivers',
  ]);
});

test('every unit provisions its five dashboards for the province\'s Grafana: DR overview and the four dimensions, each with a unique uid and every query on its own site', () => {
  const uids = new Set<string>();
  for (const unit of model.units) {
    const stack = stacks.get(unit.stackName) as unknown as StackJson;
    const maps = Object.values(stack.resource!.kubernetes_config_map_v1!).filter((c) => ((c.metadata as JsonObject).labels as JsonObject | undefined)?.grafana_dashboard === '1');
    expect(maps.map((c) => (c.metadata as JsonObject).name).sort()).toEqual(['hsa-dashboard-business', 'hsa-dashboard-cluster', 'hsa-dashboard-dr', 'hsa-dashboard-middleware', 'hsa-dashboard-resources']);
    for (const dashboard of unitDashboards(model, unit)) {
      const parsed = JSON.parse(dashboard.json) as { uid: string; panels: { id: number }[]; templating: { list: { name: string; type: string }[] } };
      expect(parsed.uid.length).toBeLessThanOrEqual(40);
      uids.add(parsed.uid);
      expect(parsed.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
      expect(new Set(parsed.panels.map((p) => p.id)).size).toBe(parsed.panels.length);
      for (const expr of dashboardQueries(dashboard.json)) expect(expr).toContain(`hsa_site="${unit.site}"`);
    }
  }
  expect(uids.size).toBe(model.units.length * 5);
  // The DR overview names every pair of the unit.
  const coreB = unitDashboards(model, model.units.find((u) => u.stackName === 'demo-core-b')!)[0]!.json;
  for (const pair of ['redis-cache@core', 'redis-session@core', 'kafka@core', 'fastdfs@core']) expect(coreB).toContain(pair);
  expect(unitDashboards(model, model.units[0]!).map((d) => d.json)).toEqual(unitDashboards(model, model.units[0]!).map((d) => d.json));
});
