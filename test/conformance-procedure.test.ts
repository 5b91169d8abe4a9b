/** The conformance procedure's own logic (docs/conformance.md), on small hand-written inputs. */
import { crdVersionsOf, servingCrd } from '../conformance/crd-schema';
import { WIDGET_CRD } from './support/example-crd';
import { imagesOfDocuments, parseManifests } from '../conformance/rendered-images';
import { podTemplatesOf, selectedWorkloads, selectingPolicies } from '../conformance/policy-selectors';
import { findUnreadKeys, leafPaths, normalizeRender, withChangedLeaf, withoutLeaf } from '../conformance/value-keys';

const values = { a: { b: { c: 1 }, d: 'x' }, list: [1, 2], empty: {} };

test('leaves are scalars, whole arrays and empty objects', () => {
  expect(leafPaths(values).map((p) => p.join('.'))).toEqual(['a.b.c', 'a.d', 'list', 'empty']);
});

test('removing a leaf drops the objects it leaves empty, and nothing else', () => {
  expect(withoutLeaf(values, ['a', 'b', 'c'])).toEqual({ a: { d: 'x' }, list: [1, 2], empty: {} });
  expect(withoutLeaf(values, ['a', 'd'])).toEqual({ a: { b: { c: 1 } }, list: [1, 2], empty: {} });
  expect(values.a.b.c).toBe(1);
});

test('changing a leaf keeps its kind', () => {
  expect(withChangedLeaf({ n: 1, s: '2Gi', t: true, w: 'on' }, ['n'])).toEqual({ n: 2, s: '2Gi', t: true, w: 'on' });
  expect(withChangedLeaf({ s: '2Gi' }, ['s'])).toEqual({ s: '3Gi' });
  expect(withChangedLeaf({ t: true }, ['t'])).toEqual({ t: false });
  expect(withChangedLeaf({ w: 'on' }, ['w'])).toEqual({ w: 'onx' });
});

test('a key whose removal and change leave the render alone is ignored; one equal to the default is not', () => {
  // A chart that reads only `read`, with a default of 1.
  const render = (v: unknown) => `value: ${String((v as { read?: number }).read ?? 1)}`;
  const findings = findUnreadKeys({ read: 1, unread: 'x' }, render({ read: 1 }), render);
  expect(findings).toEqual([
    { path: 'read', kind: 'default' },
    { path: 'unread', kind: 'ignored' },
  ]);
});

test('generated certificates and checksums are masked, other differences are not', () => {
  const a = `checksum/secret: ${'a'.repeat(64)}\ntls.crt: ${'QUJD'.repeat(20)}\nport: 1`;
  const b = `checksum/secret: ${'b'.repeat(64)}\ntls.crt: ${'REVG'.repeat(20)}\nport: 1`;
  expect(normalizeRender(a)).toBe(normalizeRender(b));
  expect(normalizeRender(a)).not.toBe(normalizeRender(a.replace('port: 1', 'port: 2')));
});

const crd = WIDGET_CRD;

test('the CRD version that serves a custom resource, or why none does (the API server judges the rest: test/drills/kube-api-server.test.ts)', () => {
  const crds = crdVersionsOf([crd, crd.replace('name: v1\n      served: true', 'name: v1beta1\n      served: false')]);
  expect(crds.map((c) => [c.version, c.served, c.namespaced])).toEqual([['v1', true, true], ['v1beta1', false, true]]);
  const served = servingCrd({ apiVersion: 'example.io/v1', kind: 'Widget' }, crds);
  expect('crd' in served && served.crd.version).toBe('v1');
  expect(servingCrd({ apiVersion: 'example.io/v1beta1', kind: 'Widget' }, crds)).toEqual({ error: 'example.io/v1beta1 Widget is not served' });
  expect(servingCrd({ apiVersion: 'example.io/v2', kind: 'Widget' }, crds)).toEqual({ error: 'no CRD serves example.io/v2 Widget (known: example.io/v1, example.io/v1beta1)' });
});

test('images of a render: containers and init containers, and the images an operator is told to pull', () => {
  const manifests = `
kind: Deployment
spec:
  template:
    spec:
      initContainers: [{ name: init, image: "r.example/hsa/os-shell:1" }]
      containers:
        - name: operator
          image: r.example/hsa/operator:1
          env:
            - { name: STRIMZI_KAFKA_IMAGES, value: "4.1.0=r.example/hsa/kafka:1-4.1.0\\n4.2.0=r.example/hsa/kafka:1-4.2.0" }
            - { name: OTHER, value: "r.example/not/an-image-variable:1" }
`;
  expect(imagesOfDocuments(parseManifests(manifests))).toEqual({
    containers: ['r.example/hsa/operator:1', 'r.example/hsa/os-shell:1'],
    operatorManaged: ['r.example/hsa/kafka:1-4.1.0', 'r.example/hsa/kafka:1-4.2.0'],
  });
});

test("a policy's pod selector against the pod templates of a render: matched by every label, in its namespace only, through a CronJob's job template", () => {
  const documents = parseManifests(
    [
      'kind: Deployment\nmetadata: {name: prometheus-server}\nspec: {template: {metadata: {labels: {app.kubernetes.io/name: prometheus, app.kubernetes.io/component: server}}}}',
      'kind: StatefulSet\nmetadata: {name: prometheus-alertmanager, namespace: elsewhere}\nspec: {template: {metadata: {labels: {app.kubernetes.io/name: alertmanager}}}}',
      'kind: CronJob\nmetadata: {name: nightly}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {job: nightly}}}}}}',
      'kind: Service\nmetadata: {name: prometheus-server}\nspec: {selector: {app.kubernetes.io/name: prometheus}}',
    ].join('\n---\n'),
  );
  const pods = podTemplatesOf(documents, 'hsa-monitoring');
  expect(pods.map((p) => `${p.namespace} ${p.workload}`)).toEqual(['hsa-monitoring Deployment/prometheus-server', 'elsewhere StatefulSet/prometheus-alertmanager', 'hsa-monitoring CronJob/nightly']);
  const policies = selectingPolicies(
    {
      all: { metadata: { name: 'default-deny', namespace: 'ns-ref' }, spec: { pod_selector: {} } },
      server: { metadata: { name: 'allow-to-kubelets', namespace: 'ns-ref' }, spec: { pod_selector: { match_labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' } } } },
      slip: { metadata: { name: 'allow-to-receivers', namespace: 'ns-ref' }, spec: { pod_selector: { match_labels: { 'app.kubernetes.io/name': 'alertmanager' } } } },
      nightly: { metadata: { name: 'allow-nightly', namespace: 'ns-ref' }, spec: { pod_selector: { match_labels: { job: 'nightly' } } } },
    },
    (value) => (value === 'ns-ref' ? 'hsa-monitoring' : value),
  );
  expect(policies.map((p) => [p.name, selectedWorkloads(p, pods)])).toEqual([
    ['allow-to-kubelets', ['Deployment/prometheus-server']],
    // Alertmanager's pods are in another namespace here: the policy selects none of this one's.
    ['allow-to-receivers', []],
    ['allow-nightly', ['CronJob/nightly']],
  ]);
});
