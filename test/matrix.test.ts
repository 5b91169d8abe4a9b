import type { JsonObject } from '../compliance/types';
import { listEnvironments, loadEnvironments } from '../model/load-environment';
import { ENVIRONMENTS_DIR, resourcesByPath, synthesizeStacks, type SynthesizedStack } from './support/fixtures';

const IPV4 = /(^|[^\d.])(\d{1,3}\.){3}\d{1,3}($|[^\d.])/;
const names = listEnvironments(ENVIRONMENTS_DIR);
const environments = loadEnvironments(ENVIRONMENTS_DIR, names);
let stacks: Map<string, SynthesizedStack>;

beforeAll(() => {
  stacks = synthesizeStacks(environments);
});

test('the matrix covers the demo and at least two provinces', () => {
  expect(names).toEqual(expect.arrayContaining(['demo', 'guangdong', 'ningxia']));
});

describe.each(names)('environment %s', (env) => {
  const stack = (zone: string, site: string) => stacks.get(`${env}-${zone}-${site}`)!;

  test('has exactly four stacks: public and core at sites A and B', () => {
    expect([...stacks.keys()].filter((s) => s.startsWith(`${env}-`)).sort()).toEqual([`${env}-core-a`, `${env}-core-b`, `${env}-public-a`, `${env}-public-b`]);
  });

  test('every stack configures the kubernetes and helm providers for its own cluster', () => {
    for (const [zone, site] of [['public', 'a'], ['public', 'b'], ['core', 'a'], ['core', 'b']] as const) {
      const s = stack(zone, site);
      expect(s.provider.kubernetes).toHaveLength(1);
      expect(s.provider.helm).toHaveLength(1);
      expect(s.provider.helm[0]!.kubernetes).toBeDefined();
    }
    const contexts = ['public-a', 'public-b', 'core-a', 'core-b'].map((s) => JSON.stringify(stacks.get(`${env}-${s}`)!.provider.kubernetes[0]));
    expect(new Set(contexts).size).toBe(4);
  });

  test('no stack references another stack', () => {
    for (const [name, s] of stacks) {
      if (!name.startsWith(`${env}-`)) continue;
      const text = JSON.stringify(s);
      expect(text).not.toContain('terraform_remote_state');
      expect(Object.keys((s['//'] as JsonObject).outputs as JsonObject)).toEqual([]);
      expect(s.output).toBeUndefined();
    }
  });

  test.each(['public', 'core'])('the %s zone runs the same applications, images and configuration at A and B', (zone) => {
    const summarize = (s: SynthesizedStack) => {
      const deployments = [...resourcesByPath(s, 'kubernetes_deployment_v1').values()].map((d) => {
        const spec = ((d.spec as JsonObject).template as JsonObject).spec as JsonObject;
        return `${(d.metadata as JsonObject).name as string} ${((spec.container as JsonObject[])[0]!.image as string)}`;
      });
      const configs = [...resourcesByPath(s, 'kubernetes_config_map_v1').values()].filter((c) => (c.data as JsonObject).HSA_APPLICATION !== undefined).map((c) => {
        const { HSA_SITE: _site, ...rest } = c.data as JsonObject;
        return JSON.stringify(rest);
      });
      return { deployments: deployments.sort(), configs: configs.sort() };
    };
    const a = summarize(stack(zone, 'a'));
    expect(a.deployments.length).toBeGreaterThan(0);
    expect(summarize(stack(zone, 'b'))).toEqual(a);
  });

  test('every container is non-root, without privilege escalation, with limits', () => {
    for (const zone of ['public', 'core']) {
      for (const site of ['a', 'b']) {
        for (const d of resourcesByPath(stack(zone, site), 'kubernetes_deployment_v1').values()) {
          const pod = ((d.spec as JsonObject).template as JsonObject).spec as JsonObject;
          expect((pod.security_context as JsonObject).run_as_non_root).toBe(true);
          for (const c of pod.container as JsonObject[]) {
            expect((c.security_context as JsonObject).allow_privilege_escalation).toBe(false);
            expect(((c.resources as JsonObject).limits as JsonObject).memory).toBeDefined();
          }
        }
      }
    }
  });

  test('no application ConfigMap carries an IP address', () => {
    for (const [name, s] of stacks) {
      if (!name.startsWith(`${env}-`)) continue;
      for (const c of resourcesByPath(s, 'kubernetes_config_map_v1').values()) {
        if ((c.data as JsonObject).HSA_APPLICATION === undefined) continue;
        for (const value of Object.values(c.data as JsonObject)) expect(String(value)).not.toMatch(IPV4);
      }
    }
  });
});
