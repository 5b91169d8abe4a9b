import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment, synthesizeStacks } from './support/fixtures';

test('every Terraform address released for the demo province is still synthesized (construct ids are state addresses)', () => {
  const released = readFileSync(join(__dirname, 'fixtures', 'released-addresses-demo.txt'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  expect(released.length).toBeGreaterThan(200);
  const current = new Set<string>();
  for (const [stack, json] of synthesizeStacks([loadEnvironment('demo')])) {
    for (const [type, byName] of Object.entries(json.resource)) for (const name of Object.keys(byName)) current.add(`${stack}/${type}.${name}`);
  }
  expect(released.filter((address) => !current.has(address))).toEqual([]);
});
