/**
 * Alertmanager at the version the toolkit deploys (model/images.ts), built from its Go module for the
 * alerting drills: Debian's is 0.25, which reads no `url_file` (a receiver's URL kept in a Secret).
 * The module ships without its web UI's built assets, which the binary embeds; the drills use the API
 * only, so a placeholder page stands in for them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES } from '../model/images';
import { buildInModuleCopy, builtOnce } from './go-tool';

const MODULE = 'github.com/prometheus/alertmanager';
export const ALERTMANAGER_VERSION = IMAGES.alertmanager.tag;

/** Builds Alertmanager once per version; returns its path. */
export function alertmanagerTool(toolsDir: string): string {
  return builtOnce(join(toolsDir, `alertmanager-${ALERTMANAGER_VERSION}`), (part) =>
    buildInModuleCopy(
      toolsDir,
      MODULE,
      ALERTMANAGER_VERSION,
      (tree) => {
        mkdirSync(join(tree, 'ui', 'app', 'dist'), { recursive: true });
        writeFileSync(join(tree, 'ui', 'app', 'dist', 'index.html'), '<!-- the web UI is not built for the drills -->\n');
      },
      './cmd/alertmanager',
      part,
    ),
  );
}
