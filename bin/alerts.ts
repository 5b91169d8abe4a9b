/**
 * `npm run alerts -- --env <name> [--active-site A|B] --out <dir>`: writes the alert rules generated from the
 * DR model, one Prometheus rule file per stack (`<stack>.rules.yml`, for that site's Prometheus), the
 * dashboards of each stack (`<stack>.<kind>.dashboard.json`, for the province's Grafana), and
 * Alertmanager's configuration (`alertmanager.yml`) when the environment declares its receivers. A province
 * that runs its own monitoring loads these; docs/observability.md lists every alert.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAlertmanagerConfig } from '../model/alertmanager-config';
import { EnvironmentError, loadEnvironments } from '../model/load-environment';
import { unitDashboards } from '../model/dashboards';
import { provinceRuleFiles } from '../model/observability';
import { resolveProvince } from '../model/platform-model';
import { parseActiveSite, projectRoot, readFlags, UsageError } from '../pipeline/options';

function main(): void {
  try {
    const flags = readFlags(process.argv.slice(2), ['env', 'active-site', 'out']);
    const envName = flags.get('env') ?? 'demo';
    const out = flags.get('out');
    if (!out) throw new UsageError('--out <dir>: where to write the rule files and alertmanager.yml');
    const activeSite = parseActiveSite(flags.get('active-site'), '--active-site');
    const [loaded] = loadEnvironments(join(projectRoot(), 'environments'), [envName]);
    const province = resolveProvince(envName, loaded!.environment, activeSite ? { activeSite } : {});
    mkdirSync(out, { recursive: true });
    for (const [stack, text] of provinceRuleFiles(province)) {
      writeFileSync(join(out, `${stack}.rules.yml`), text);
      console.log(`${join(out, `${stack}.rules.yml`)}`);
    }
    for (const unit of province.units) {
      for (const dashboard of unitDashboards(province, unit)) {
        const file = join(out, `${unit.stackName}.${dashboard.name.replace(/^hsa-dashboard-/, '')}.dashboard.json`);
        writeFileSync(file, dashboard.json);
        console.log(file);
      }
    }
    if (province.observability) {
      writeFileSync(join(out, 'alertmanager.yml'), renderAlertmanagerConfig(province.observability));
      console.log(join(out, 'alertmanager.yml'));
    } else {
      console.log(`${envName}: no observability.receivers in the environment: no alertmanager.yml (alerts would go nowhere)`);
    }
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

main();
