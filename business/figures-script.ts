/**
 * The figures service as deployed: business/figures-server.js (the transpiled source), read from beside
 * this file when run from the sources, or from the package's business/ when run from its dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function figuresServerScript(): string {
  const candidates = [join(__dirname, 'figures-server.js'), join(__dirname, '..', '..', 'business', 'figures-server.js')];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`business/figures-server.js is missing (looked in ${candidates.join(', ')}): run npm run figures-js`);
  return readFileSync(found, 'utf8');
}
