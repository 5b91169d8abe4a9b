/**
 * Terraform's own template parser (github.com/hashicorp/hcl/v2, as OpenTofu and Terraform read a JSON
 * configuration) and the API server's own quantity code (k8s.io/apimachinery) judge every stack of every
 * environment with either site active (conformance/terraform-engine.ts): the two classes of defect the
 * deploy rehearsal found, checked where CI has neither the providers nor a cluster. Deliberately broken
 * stacks (a literal `${DB_PASSWORD}`, a `1000m` CPU, a reference to nothing) are refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeStacks, terraformEngineTool } from '../../conformance/terraform-engine';
import { listEnvironments, loadEnvironments } from '../../model/load-environment';
import { ENVIRONMENTS_DIR, synthesizeStacks } from '../support/fixtures';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
let tool: string;
let dir: string;

beforeAll(() => {
  const started = Date.now();
  tool = terraformEngineTool(join(ROOT, '.cache', 'tools'));
  console.log(`Terraform's template parser and the API server's quantities: ${tool} (${((Date.now() - started) / 1000).toFixed(1)} s, built once per source)`);
  dir = mkdtempSync(join(tmpdir(), 'hsa-terraform-engine-'));
}, 20 * 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, stack: unknown): string {
  const file = join(dir, `${name}.tf.json`);
  writeFileSync(file, JSON.stringify(stack));
  return file;
}

test.each(['A', 'B'] as const)('every stack of every environment, site %s active: every ${...} a declared reference, every quantity as stored', (activeSite) => {
  const stacks = synthesizeStacks(loadEnvironments(ENVIRONMENTS_DIR, listEnvironments(ENVIRONMENTS_DIR)), { activeSite });
  const report = judgeStacks(tool, [...stacks].map(([name, stack]) => write(`${name}-${activeSite}`, stack)));
  console.log(`site ${activeSite} active: ${stacks.size} stacks, ${report.strings} strings, ${report.references} references, ${report.quantities} quantities, ${report.problems.length} problems`);
  expect(report.problems).toEqual([]);
  expect(report.references).toBeGreaterThan(1000);
  expect(report.quantities).toBeGreaterThan(500);
});

test('fails on a literal placeholder, a reference to nothing and a quantity the API server rewrites', () => {
  const broken = {
    resource: {
      kubernetes_namespace_v1: { ns: { metadata: [{ name: 'apps' }] } },
      kubernetes_config_map_v1: {
        cm: { metadata: [{ name: 'c', namespace: '${kubernetes_namespace_v1.ns.metadata[0].name}' }], data: { 'a.properties': 'db.password=${DB_PASSWORD}', b: '${kubernetes_namespace_v1.other.id}', ok: '$${NOT_A_REFERENCE}' } },
      },
      kubernetes_limit_range_v1: { lr: { spec: [{ limit: [{ type: 'Container', default: { cpu: '1000m', memory: '512Mi' } }] }] } },
    },
  };
  const report = judgeStacks(tool, [write('broken', broken)]);
  expect(report.problems).toHaveLength(3);
  expect(report.problems.join('\n')).toContain('${DB_PASSWORD...} does not name a declared resource');
  expect(report.problems.join('\n')).toContain('${kubernetes_namespace_v1...} does not name a declared resource');
  expect(report.problems.join('\n')).toContain('quantity "1000m" is stored by the API server as "1"');
  expect(report.quantities).toBe(2);
});
