/**
 * The deployed JavaScript of the figures service (business/figures-server.js) from its TypeScript source:
 * Node's standard library only, CommonJS, so a stock Node image runs the file from a ConfigMap.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

export const FIGURES_SOURCE = join(__dirname, 'figures-server.ts');
export const FIGURES_JS = join(__dirname, 'figures-server.js');

export function transpileFiguresServer(): string {
  const header = '// Generated from business/figures-server.ts by `npm run figures-js`: edit that file, not this one.\n';
  return header + ts.transpileModule(readFileSync(FIGURES_SOURCE, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, removeComments: false }, fileName: 'figures-server.ts' }).outputText;
}
