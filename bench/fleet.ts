/**
 * The national fleet for the benchmark: N provinces shaped like the demo, every middleware and DR pair,
 * and `servicesPerStack` application services in each of the four stacks (catalog entries cloned under
 * synthetic names: the real catalog has 22 applications, a province runs a few hundred services).
 */
import { APPLICATION_CATALOG } from '../model/catalog';
import type { Environment } from '../model/environment-schema';
import { parseEnvironment } from '../model/load-environment';
import { planProvince, resolveProvince, type ApplicationModel, type ProvinceModel } from '../model/platform-model';

/**
 * Province `index` of the fleet. `revision` > 0 is the same province after an edit (its first
 * application scaled up), for the benchmark's incremental run.
 */
export function fleetEnvironment(index: number, demo: Environment, revision = 0): { name: string; environment: Environment } {
  const name = `p${String(index + 1).padStart(2, '0')}`;
  const applications: Record<string, { version: string; project: string; replicas: number }> = {};
  for (const app of APPLICATION_CATALOG) applications[app.id] = { version: '3.0.0', project: app.zone === 'public' ? 'ggfw' : 'hxjb', replicas: 2 };
  applications[APPLICATION_CATALOG[0]!.id]!.replicas = 2 + revision;
  const vips = (net: string) => ({
    'redis-cache': `${net}.21`, 'redis-session': `${net}.22`, kafka: `${net}.23`, fastdfs: `${net}.24`,
    nacos: `${net}.25`, 'xxl-job': `${net}.26`, log: `${net}.27`, database: `${net}.40`,
  });
  const second = 100 + index;
  const environment = JSON.parse(JSON.stringify(demo)) as Environment;
  for (const [site, first] of [['A', 10], ['B', 20]] as const) {
    // The province's middleware lives in its own /16 per site, beside the demo's other addresses.
    environment.sites[site].networks = [...(demo.sites[site].networks ?? []), `${first}.${second}.0.0/16`];
    for (const [zone, third] of [['public', 1], ['core', 2]] as const) {
      const net = `${first}.${second}.${third}`;
      const zoneSite = environment.sites[site].zones[zone];
      zoneSite.middlewareVips = vips(net);
      zoneSite.kafkaBrokerVips = [`${net}.31`, `${net}.32`, `${net}.33`];
    }
  }
  environment.applications = applications as Environment['applications'];
  environment.province = { code: String(110000 + index * 10000).slice(0, 6), name: `bench province ${name}` };
  // Validate as a real environment file would be.
  return { name, environment: parseEnvironment(name, `bench/${name}.json`, JSON.stringify(environment)).environment };
}

/** The province model with each unit's applications expanded to `servicesPerStack` services. */
export function fleetProvince(name: string, environment: Environment, servicesPerStack: number): ProvinceModel {
  const province = resolveProvince(name, environment);
  // Planned again from the expanded units: the load balancers, zone files and gateway serve every service.
  return planProvince({
    ...province,
    units: province.units.map(({ traffic: _planned, ...unit }) => {
      const templates = unit.applications;
      const applications: ApplicationModel[] = [];
      for (let i = 0; i < servicesPerStack; i++) {
        const template = templates[i % templates.length]!;
        const service = `${template.name.slice(0, 40)}-${String(Math.floor(i / templates.length)).padStart(3, '0')}`;
        applications.push({ ...template, name: service, config: { ...template.config, HSA_APPLICATION: service } });
      }
      return { ...unit, applications };
    }),
  });
}
