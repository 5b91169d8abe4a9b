/** `npm run figures-js`: writes business/figures-server.js, the deployed form of business/figures-server.ts. */
import { writeFileSync } from 'node:fs';
import { FIGURES_JS, transpileFiguresServer } from '../business/figures-js';

writeFileSync(FIGURES_JS, transpileFiguresServer());
console.log(FIGURES_JS);
