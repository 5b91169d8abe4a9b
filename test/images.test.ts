import { provinceInventory } from '../pipeline/province-inventory';
import { imagesOfOutput } from '../review/image-inventory';
import { ENVIRONMENTS_DIR, loadEnvironment } from './support/fixtures';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlatformApp } from '../stacks/platform-app';

test('npm run images lists every image and chart of the synthesized output, for both active sites, all under the mirrors', () => {
  const inventory = provinceInventory('demo', ENVIRONMENTS_DIR);
  const env = loadEnvironment('demo').environment;
  const expected = { images: new Set<string>(), charts: new Set<string>() };
  for (const activeSite of ['A', 'B'] as const) {
    const outdir = mkdtempSync(join(tmpdir(), 'hsa-images-test-'));
    try {
      buildPlatformApp(outdir, [loadEnvironment('demo')], { activeSite }).synth();
      const found = imagesOfOutput(outdir);
      found.images.forEach((i) => expected.images.add(i));
      found.charts.forEach((c) => expected.charts.add(c));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  expect(inventory.images).toEqual([...expected.images].sort());
  expect(inventory.charts).toEqual([...expected.charts].sort());
  for (const image of inventory.images) expect(image).toMatch(new RegExp(`^${env.registry.images.replace(/\./g, '\\.')}/[^:]+:[^:]+$`));
  for (const chart of inventory.charts) expect(chart.startsWith(`${env.registry.charts}/`)).toBe(true);
  // The helpers the charts pull besides their main image.
  expect(inventory.images).toEqual(expect.arrayContaining([
    `${env.registry.images}/redis-exporter:1.67.0-debian-12-r0`,
    `${env.registry.images}/os-shell:12-debian-12-r33`,
    `${env.registry.images}/strimzi/kafka:1.0.0-kafka-4.1.0`,
  ]));
});

test('fails when a helm release declares no images', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'hsa-images-test-'));
  try {
    buildPlatformApp(outdir, [loadEnvironment('demo')]).synth();
    const stackFile = join(outdir, 'stacks', 'demo-core-a', 'cdk.tf.json');
    const json = JSON.parse(readFileSync(stackFile, 'utf8')) as { resource: { helm_release: Record<string, { '//': { images?: string[] } }> } };
    delete Object.values(json.resource.helm_release)[0]!['//'].images;
    writeFileSync(stackFile, JSON.stringify(json));
    expect(() => imagesOfOutput(outdir)).toThrow('declares no images');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
