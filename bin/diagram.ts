/**
 * `npm run diagram -- --env <name> [--active-site A|B] [--out <dir>]`: writes the province's topology as
 * Mermaid in Markdown (`<out>/<env>.md`) and as SVG (`<out>/<env>.svg`). Default out: docs/diagrams.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMermaid, renderSvg } from '../diagram/topology';
import { EnvironmentError, loadEnvironments } from '../model/load-environment';
import { resolveProvince } from '../model/platform-model';
import { parseActiveSite, projectRoot, readFlags, UsageError } from '../pipeline/options';

const PROJECT_ROOT = projectRoot();

function main(): void {
  try {
    const flags = readFlags(process.argv.slice(2), ['env', 'active-site', 'out']);
    const envName = flags.get('env') ?? 'demo';
    const activeSite = parseActiveSite(flags.get('active-site'), '--active-site');
    const out = flags.get('out') ?? join(PROJECT_ROOT, 'docs', 'diagrams');
    const [loaded] = loadEnvironments(join(PROJECT_ROOT, 'environments'), [envName]);
    const province = resolveProvince(envName, loaded!.environment, activeSite ? { activeSite } : {});
    mkdirSync(out, { recursive: true });
    const suffix = activeSite ? `-active-${activeSite.toLowerCase()}` : '';
    const markdown = `# ${province.provinceName} (${envName}): topology, active site ${province.activeSite}\n\n![topology](${envName}${suffix}.svg)\n\n${renderMermaid(province)}`;
    writeFileSync(join(out, `${envName}${suffix}.md`), markdown);
    writeFileSync(join(out, `${envName}${suffix}.svg`), renderSvg(province));
    console.log(`wrote ${join(out, `${envName}${suffix}.md`)} and .svg`);
  } catch (error) {
    if (error instanceof EnvironmentError || error instanceof UsageError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

main();
