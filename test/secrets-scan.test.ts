import { secNoPlaintextSecrets } from '../compliance/rules/sec-no-plaintext-secrets';
import type { JsonObject } from '../compliance/types';
import { listEnvironments, loadEnvironments } from '../model/load-environment';
import { ENVIRONMENTS_DIR, synthesizeStacks } from './support/fixtures';

const environments = loadEnvironments(ENVIRONMENTS_DIR, listEnvironments(ENVIRONMENTS_DIR));

test.each(['A', 'B'] as const)('no plaintext secret anywhere in the output of every environment (site %s active)', (activeSite) => {
  const findings: string[] = [];
  for (const [stack, json] of synthesizeStacks(environments, { activeSite })) {
    for (const [type, byName] of Object.entries(json.resource)) {
      for (const [name, config] of Object.entries(byName)) {
        const result = secNoPlaintextSecrets.check({ stack, path: name, type, config });
        // A suppression is part of the output, with its reason, for the reviewer to judge.
        const suppressions = ((config['//'] as JsonObject | undefined)?.compliance_suppressions ?? []) as JsonObject[];
        const suppressed = suppressions.find((s) => s.rule === secNoPlaintextSecrets.id);
        if (suppressed) {
          expect(String(suppressed.reason).length).toBeGreaterThanOrEqual(10);
          continue;
        }
        if (result.status === 'non-compliant') findings.push(...result.problems.map((p) => `${stack} ${type}.${name}: ${p.message}`));
      }
    }
    // Providers: a token or password must be a variable reference, never a literal.
    for (const provider of [...(json.provider.kubernetes ?? []), ...(json.provider.helm ?? []).map((h) => h.kubernetes as JsonObject)]) {
      for (const key of ['token', 'password', 'client_key']) {
        const value = provider[key];
        if (value !== undefined && !/^\$\{var\.[a-z_]+\}$/.test(String(value))) findings.push(`${stack} provider ${key} is a literal`);
      }
    }
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    expect(text).not.toMatch(/"(requirepass|masterauth)\s/);
  }
  expect(findings).toEqual([]);
});
