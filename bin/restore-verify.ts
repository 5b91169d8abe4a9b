/**
 * `npm run restore-verify [-- --engine redis|postgresql]`
 *
 * Takes a backup of a real redis-server and a real PostgreSQL (loopback, scratch directories) with
 * exactly the backup scripts the toolkit synthesizes, restores each into a scratch server, compares
 * contents, and shows that a truncated or corrupted backup is refused by the engine's own tools
 * (backup/restore-verify.ts). Exit 0 when every restore matches and every damaged backup is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestoreVerifyError, verifyPostgresqlBackup, verifyRedisBackup, type Damage, type RestoreResult } from '../backup/restore-verify';
import { readFlags, UsageError } from '../pipeline/options';

const ENGINES = { redis: verifyRedisBackup, postgresql: verifyPostgresqlBackup } as const;
type Engine = keyof typeof ENGINES;
/** The damage each engine must refuse: a truncated file, and a flipped byte inside the data. */
const DAMAGES: readonly Damage[] = ['truncated', 'flipped-byte'];

export async function main(argv: readonly string[], print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  try {
    const flags = readFlags(argv, ['engine']);
    const only = flags.get('engine');
    if (only !== undefined && !(only in ENGINES)) throw new UsageError(`--engine ${only}: expected one of ${Object.keys(ENGINES).join(', ')}`);
    const engines = (only ? [only] : Object.keys(ENGINES)) as Engine[];
    let failures = 0;
    for (const engine of engines) {
      for (const how of ['none', ...DAMAGES] as const) {
        const work = mkdtempSync(join(tmpdir(), `hsa-restore-${engine}-`));
        try {
          const result: RestoreResult = await ENGINES[engine](work, how);
          const unit = engine === 'redis' ? 'keys' : 'rows';
          if (how === 'none') {
            const same = result.restored !== undefined && result.restored.count === result.source.count && result.restored.digest === result.source.digest;
            if (!same) failures++;
            print(
              `${engine}: backup ${result.backupBytes} bytes; source ${result.source.count} ${unit} (${result.source.digest.slice(0, 12)}), restored ${result.restored?.count ?? 0} ${unit} (${result.restored?.digest.slice(0, 12) ?? '-'}): ${same ? 'identical' : 'DIFFERENT'} [${result.seconds.toFixed(1)} s]`,
            );
            if (result.refusal) print(`  refused: ${result.refusal}`);
          } else {
            if (!result.refusal) failures++;
            print(`${engine}, backup ${how}: ${result.refusal ? result.refusal : `ACCEPTED (restored ${result.restored?.count ?? 0} ${unit})`}`);
          }
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      }
    }
    print(failures === 0 ? 'restore verification passed' : `restore verification: ${failures} failure(s)`);
    return failures === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`restore-verify: ${error.message}\n`);
      return 2;
    }
    if (error instanceof RestoreVerifyError) {
      process.stderr.write(`restore-verify: failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
