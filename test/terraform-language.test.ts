/**
 * What the deploy rehearsal (docs/deploy-rehearsal.md) found, kept from coming back without it:
 * - Terraform's JSON syntax reads every string as a template: a literal `${...}` or `%{...}` in a
 *   configuration text failed `tofu validate` in every stack ("A reference to a resource type must be
 *   followed by at least one attribute access");
 * - the API server stores quantities in canonical form and the kubernetes provider compares text: a
 *   `1000m` or `1024Mi` made every second plan non-empty.
 */
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack } from 'cdktf';
import { escapeTemplateLiterals } from '../adapter/cdktf-internals';
import { terraformLiteralText } from '../synthesized/terraform-literal';
import { configMapV1, namespaceV1 } from '../constructs/l1/kubernetes';
import { metadataNameOf, useProviderClasses } from '../constructs/l1/light-resource';
import { listEnvironments, loadEnvironments } from '../model/load-environment';
import { countQuantity, cpuQuantity, memoryQuantity } from '../model/quantity';
import type { JsonObject } from '../compliance/types';
import { ENVIRONMENTS_DIR, synthesizeStack, synthesizeStacks, type SynthesizedStack } from './support/fixtures';

/** What a `${...}` the toolkit writes may hold: a resource or data attribute, a variable, `file("...")`. */
const REFERENCE = /^(?:(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+|\[\d+\])*|var\.[a-z][a-z0-9_]*|file\("[^"$%{}]*"\))$/;

/** Every template sequence of a Terraform JSON string that is not an escape: `${expr}` or `%{...`. */
function templateSequences(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i]!;
    if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
      i += 2; // `$${` / `%%{`: the literal text
      continue;
    }
    if ((c === '$' || c === '%') && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      found.push(c === '%' ? text.slice(i, end + 1) : text.slice(i + 2, end));
      if (end < 0) break;
      i = end;
    }
  }
  return found;
}

function visitStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => visitStrings(v, `${path}[${i}]`, visit));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) visitStrings(v, `${path}.${k}`, visit);
}

const QUANTITY = /^(\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Largest suffix leaving a whole mantissa: the rule of k8s.io/apimachinery's Quantity.String. */
function withLargestSuffix(units: number, base: number, suffixes: readonly string[]): string {
  let exponent = 0;
  while (units !== 0 && units % base ** (exponent + 1) === 0 && exponent < suffixes.length - 1) exponent += 1;
  return `${units / base ** exponent}${suffixes[exponent]}`;
}

/** The canonical form of a whole-numbered quantity, computed apart from model/quantity.ts. */
function canonical(quantity: string): string {
  const [, digits, suffix = ''] = QUANTITY.exec(quantity)!;
  const n = Number(digits);
  if (BINARY.includes(suffix) && suffix !== '') return withLargestSuffix(n * 1024 ** BINARY.indexOf(suffix), 1024, BINARY);
  const milli = suffix === 'm' ? n : n * 1000 ** (DECIMAL.indexOf(suffix) + 1);
  return milli % 1000 === 0 ? withLargestSuffix(milli / 1000, 1000, DECIMAL) : `${milli}m`;
}

/** Fields of the kubernetes provider's resources that hold quantities (maps of them, or one). */
const QUANTITY_MAPS = new Set(['limits', 'requests', 'hard', 'default', 'default_request', 'max', 'min', 'max_limit_request_ratio']);
const QUANTITY_FIELDS = new Set(['size_limit', 'storage']);

describe('Terraform template syntax', () => {
  test('escapeTemplateLiterals escapes interpolations and directives, keeps references and escapes', () => {
    expect(escapeTemplateLiterals('db.password=${DB_PASSWORD}')).toBe('db.password=$${DB_PASSWORD}');
    expect(escapeTemplateLiterals('%{ if x }y%{ endif }')).toBe('%%{ if x }y%%{ endif }');
    expect(escapeTemplateLiterals('plain $HOME {braces} 100%')).toBe('plain $HOME {braces} 100%');
    // A text that already holds an escape means those characters literally: escaped again.
    expect(escapeTemplateLiterals('$${X}')).toBe('$$${X}');
    expect(escapeTemplateLiterals('a ${TfToken[TOKEN.12]} b ${B}')).toBe('a ${TfToken[TOKEN.12]} b $${B}');
    expect(escapeTemplateLiterals('#{TfToken[TOKEN.3]}&{TfToken[TOKEN.4]}%{x}')).toBe('#{TfToken[TOKEN.3]}&{TfToken[TOKEN.4]}%%{x}');
  });

  test.each(['light', 'generated'] as const)('a resource writes literal placeholders escaped and references as references (%s classes)', (mode) => {
    useProviderClasses(mode);
    try {
      const stack = synthesizeStack('escape', (scope: TerraformStack) => {
        new KubernetesProvider(scope, 'k8s', {});
        const namespace = namespaceV1(scope, 'Namespace', { metadata: { name: 'apps' } });
        configMapV1(scope, 'Config', {
          metadata: { name: 'app', namespace: metadataNameOf(namespace) },
          data: { 'application.properties': 'spring.datasource.password=${DB_PASSWORD}\n%{x}', namespace: `ns=${metadataNameOf(namespace)};raw=\${NS}` },
        });
      });
      const data = (stack.resource.kubernetes_config_map_v1 as Record<string, JsonObject>).Config!.data as Record<string, string>;
      expect(data['application.properties']).toBe('spring.datasource.password=$${DB_PASSWORD}\n%%{x}');
      expect(data.namespace).toBe('ns=${kubernetes_namespace_v1.Namespace.metadata[0].name};raw=$${NS}');
    } finally {
      useProviderClasses('light');
    }
  });
});

describe.each(['A', 'B'] as const)('every environment synthesized with site %s active', (activeSite) => {
  const names = listEnvironments(ENVIRONMENTS_DIR);
  let stacks: Map<string, SynthesizedStack>;
  beforeAll(() => {
    stacks = synthesizeStacks(loadEnvironments(ENVIRONMENTS_DIR, names), { activeSite });
  });

  test('every ${...} is a reference Terraform resolves, and no string holds a directive', () => {
    const wrong: string[] = [];
    let references = 0;
    for (const [name, stack] of stacks) {
      visitStrings(stack, name, (text, path) => {
        for (const sequence of templateSequences(text)) {
          if (!sequence.startsWith('%{') && REFERENCE.test(sequence)) references += 1;
          else wrong.push(`${path}: ${sequence.slice(0, 80)}`);
        }
      });
    }
    expect(wrong).toEqual([]);
    expect(references).toBeGreaterThan(100);
  });

  test('every quantity of a Kubernetes object Terraform manages is in the form the API server stores', () => {
    const wrong: string[] = [];
    let quantities = 0;
    for (const [name, stack] of stacks) {
      for (const [type, resources] of Object.entries(stack.resource ?? {})) {
        if (!type.startsWith('kubernetes_') || type === 'kubernetes_manifest') continue;
        const check = (value: string, path: string) => {
          if (!QUANTITY.test(value)) return;
          quantities += 1;
          if (canonical(value) !== value) wrong.push(`${path}: ${value} (stored as ${canonical(value)})`);
        };
        visitStrings(resources, `${name}.${type}`, (text, path) => {
          const keys = path.split(/[.[\]]+/).filter(Boolean);
          const field = keys[keys.length - 1]!;
          const parent = keys[keys.length - 2] ?? '';
          if (QUANTITY_FIELDS.has(field) || QUANTITY_MAPS.has(parent)) check(text, path);
        });
      }
    }
    expect(wrong).toEqual([]);
    expect(quantities).toBeGreaterThan(100);
  });
});

describe('canonical quantities', () => {
  test('cpu in millicores', () => {
    expect([250, 1000, 1500, 2000, 4000, 1_000_000].map(cpuQuantity)).toEqual(['250m', '1', '1500m', '2', '4', '1k']);
  });
  test('memory', () => {
    expect([512, 1024, 1536, 2048, 4096].map((n) => memoryQuantity(n, 'Mi'))).toEqual(['512Mi', '1Gi', '1536Mi', '2Gi', '4Gi']);
    expect([16, 1024, 2048, 0].map((n) => memoryQuantity(n, 'Gi'))).toEqual(['16Gi', '1Ti', '2Ti', '0']);
  });
  test('counts', () => {
    expect([40, 1200, 2000, 10000].map(countQuantity)).toEqual(['40', '1200', '2k', '10k']);
  });
  test('fails on a fraction or a negative amount', () => {
    expect(() => cpuQuantity(0.5)).toThrow('expected a whole number');
    expect(() => memoryQuantity(-1, 'Mi')).toThrow('expected a whole number');
  });
});

test('what Terraform makes of an escaped literal is the text before escaping (the drills feed servers this)', () => {
  for (const text of ['db.password=${DB_PASSWORD}', 'for (( i = 0; i + 1 < ${#ARGS[@]}; i++ ))', '%{ if x }', '$${X}', '$$', 'a $ b % c', '${ ${ }']) {
    expect(terraformLiteralText(escapeTemplateLiterals(text))).toBe(text);
  }
});
