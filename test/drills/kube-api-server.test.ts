/**
 * The Kubernetes API server's own validation of custom resources (conformance/kube-api-server.ts, built
 * from k8s.io/apiextensions-apiserver at the version its go.mod pins), which the conformance procedure
 * uses for every custom resource the toolkit and its charts write:
 *
 * - on a small CRD written here: the schema, unknown fields (which the API server would drop), defaults,
 *   int-or-string, oneOf, metadata, CEL rules (x-kubernetes-validations) and, on an update, a transition
 *   rule (oldSelf);
 * - on CloudNativePG's real Cluster CRD, from the operator's Go module at the version the toolkit deploys
 *   (the module CloudNativePG's drill builds from): every Cluster of a CloudNativePG province (ningxia) as
 *   synthesized with either site active is admitted, and so is the update a deploy sends after a
 *   switchover; a deliberately broken Cluster is refused by the CRD's own CEL rule, and a broken update
 *   by its transition rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUDNATIVE_PG_MODULE_VERSION } from '../../conformance/cloudnative-pg';
import { crdVersionsOf, type CrdVersion } from '../../conformance/crd-schema';
import { go } from '../../conformance/go-tool';
import { admitCustomResources, kubeApiServerTool, withResolvedManifestNamespace } from '../../conformance/kube-api-server';
import type { Json } from '../../conformance/value-keys';
import { WIDGET_CRD as widgetCrd } from '../support/example-crd';
import { loadEnvironment, synthesizeStacks } from '../support/fixtures';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
let tool: string;

beforeAll(() => {
  const started = Date.now();
  tool = kubeApiServerTool(join(ROOT, '.cache', 'tools'));
  console.log(`The API server's validation: ${tool} (${((Date.now() - started) / 1000).toFixed(1)} s, built once per source)`);
}, 45 * 60_000);


const widget = (spec: { [key: string]: Json }, metadata: { [key: string]: Json } = { name: 'w', namespace: 'hsa' }) => ({ apiVersion: 'example.io/v1', kind: 'Widget', metadata, spec });
/** What the API server adds when an error stops the CEL rules from running (the strategy's hasBlockingErr). */
const RULES_NOT_CHECKED = '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
const admit = (crds: readonly CrdVersion[], ...objects: Json[]) => admitCustomResources(tool, crds, objects.map((object, i) => ({ name: `object ${i}`, object })));
const update = (crds: readonly CrdVersion[], old: Json, object: Json) => admitCustomResources(tool, crds, [{ name: 'update', object, old }])[0];

test('a small CRD: valid objects are admitted; a missing or undeclared field, a wrong type and a missing namespace are refused', () => {
  const crds = crdVersionsOf([widgetCrd]);
  expect(admit(crds, widget({ size: 1, port: 'http', free: { anything: true } }), widget({ size: 1, port: 8080 }))).toEqual([[], []]);
  const [missing, wrongType, noNamespace] = admit(crds, widget({ sizee: 1 }), widget({ size: 1, port: true }), widget({ size: 1 }, { name: 'w' }));
  expect(missing).toEqual(['spec.sizee: unknown field (the API server drops it)', 'spec.size: Required value', RULES_NOT_CHECKED]);
  expect(wrongType!.join('\n')).toContain('spec.port');
  expect(noNamespace).toEqual(['metadata.namespace: Required value', RULES_NOT_CHECKED]);
  expect(admit(crds, { apiVersion: 'example.io/v2', kind: 'Widget', metadata: { name: 'w', namespace: 'hsa' }, spec: { size: 1 } })[0]![0]).toContain('no CRD serves example.io/v2 Widget');
});

test("oneOf branches check values, not which fields exist (Strimzi's trustedCertificates)", () => {
  const crds = crdVersionsOf([widgetCrd]);
  const [certificate, pattern, both, misspelled] = admit(
    crds,
    widget({ size: 1, ca: { secretName: 's', certificate: 'ca.crt' } }),
    widget({ size: 1, ca: { secretName: 's', pattern: '*.crt' } }),
    widget({ size: 1, ca: { secretName: 's', certificate: 'ca.crt', pattern: '*.crt' } }),
    widget({ size: 1, ca: { secretName: 's', certficate: 'ca.crt' } }),
  );
  expect(certificate).toEqual([]);
  expect(pattern).toEqual([]);
  expect(both!.join('\n')).toContain('spec.ca');
  expect(misspelled![0]).toBe('spec.ca.certficate: unknown field (the API server drops it)');
});

test("the CRD's CEL rules run on the object with its defaults applied", () => {
  const crds = crdVersionsOf([widgetCrd]);
  const [tooBig, defaulted, moreReplicas] = admit(crds, widget({ size: 11 }), widget({ size: 1 }), widget({ size: 1, replicas: 3 }));
  expect(tooBig).toEqual(['spec: Invalid value: size is at most 10']);
  // replicas defaults to 2, so the second rule holds only because the default was applied first.
  expect(defaulted).toEqual([]);
  expect(moreReplicas).toEqual(['spec: Invalid value: more replicas need a size above 1']);
});

test('an update: transition rules compare with the stored object; a rule the stored object already broke does not block an unchanged field (ratcheting)', () => {
  const crds = crdVersionsOf([widgetCrd]);
  expect(update(crds, widget({ size: 1 }), widget({ size: 2 }))).toEqual([]);
  expect(update(crds, widget({ size: 2 }), widget({ size: 1 }))).toEqual(['spec: Invalid value: size never shrinks']);
  // A create has no old object: the transition rule does not run.
  expect(admit(crds, widget({ size: 1 }))).toEqual([[]]);
  // Stored before the rule 'size is at most 10' existed (11), updated without touching spec: admitted.
  const stored = { ...widget({ size: 11 }), metadata: { name: 'w', namespace: 'hsa', labels: { a: '1' } } };
  expect(update(crds, stored, { ...stored, metadata: { ...stored.metadata, labels: { a: '2' } } })).toEqual([]);
  expect(admit(crds, stored)).toEqual([['spec: Invalid value: size is at most 10']]);
});

describe("CloudNativePG's real Cluster CRD", () => {
  let clusterCrd: CrdVersion[];
  beforeAll(() => {
    const { Dir } = JSON.parse(go(['mod', 'download', '-json', `github.com/cloudnative-pg/cloudnative-pg@${CLOUDNATIVE_PG_MODULE_VERSION}`], ROOT)) as { Dir: string };
    clusterCrd = crdVersionsOf([readFileSync(join(Dir, 'config', 'crd', 'bases', 'postgresql.cnpg.io_clusters.yaml'), 'utf8')]);
  }, 10 * 60_000);

  // Synthesized once per active site, for every test below.
  const synthesized = new Map<'A' | 'B', { name: string; object: Json }[]>();
  const synthesizedClusters = (activeSite: 'A' | 'B') => {
    const known = synthesized.get(activeSite);
    if (known) return known;
    const clusters: { name: string; object: Json }[] = [];
    for (const [stack, document] of synthesizeStacks([loadEnvironment('ningxia')], { activeSite })) {
      const resources = document.resource as Record<string, Record<string, { manifest?: Json }>>;
      for (const [address, manifest] of Object.entries(resources.kubernetes_manifest ?? {})) {
        const object = withResolvedManifestNamespace(address, manifest.manifest ?? null, (resources.kubernetes_namespace_v1 ?? {}) as Record<string, Json>);
        if ((object as { kind?: string }).kind === 'Cluster') clusters.push({ name: `${stack} ${address}`, object });
      }
    }
    synthesized.set(activeSite, clusters);
    return clusters;
  };

  test.each(['A', 'B'] as const)('every Cluster of ningxia as synthesized with site %s active is admitted', (activeSite) => {
    const clusters = synthesizedClusters(activeSite);
    expect(clusters.length).toBe(2);
    expect(admitCustomResources(tool, clusterCrd, clusters)).toEqual([[], []]);
  });

  test('the update a deploy sends after a switchover (either way) is admitted; changing the immutable serviceAccountName is refused by the transition rule', () => {
    const byAddress = (clusters: { name: string; object: Json }[]) => new Map(clusters.map((c) => [c.name, c.object]));
    const activeA = byAddress(synthesizedClusters('A'));
    const activeB = byAddress(synthesizedClusters('B'));
    for (const [name, object] of activeA) {
      expect(update(clusterCrd, object, activeB.get(name)!)).toEqual([]);
      expect(update(clusterCrd, activeB.get(name)!, object)).toEqual([]);
    }
    const [name, object] = [...activeA][0]!;
    const withAccount = (account: string, cluster: Json) => ({ ...(cluster as object), spec: { ...(cluster as { spec: object }).spec, serviceAccountName: account } });
    expect(update(clusterCrd, withAccount('hsa-db', object), withAccount('hsa-db', activeB.get(name)!))).toEqual([]);
    expect(update(clusterCrd, withAccount('hsa-db', object), withAccount('hsa-db-2', activeB.get(name)!))).toEqual(['spec.serviceAccountName: Invalid value: "hsa-db-2": serviceAccountName is immutable']);
  });

  test('deliberately broken: a Cluster naming an image catalog beside its image is refused by the CRD\'s CEL rule, a misspelled field is reported', () => {
    const [cluster] = synthesizedClusters('A');
    const object = cluster!.object as { spec: Record<string, unknown> };
    const broken = { ...object, spec: { ...object.spec, imageCatalogRef: { apiGroup: 'postgresql.cnpg.io', kind: 'ImageCatalog', name: 'postgresql', major: 17 }, instancess: 3 } };
    const [errors] = admitCustomResources(tool, clusterCrd, [{ name: 'broken', object: broken }]);
    expect(errors).toEqual(['spec.instancess: unknown field (the API server drops it)', 'spec: Invalid value: imageName and imageCatalogRef are mutually exclusive']);
  });
});
