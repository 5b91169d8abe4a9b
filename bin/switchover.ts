/**
 * `npm run switchover -- --env <name> --to A|B --journal <dir> [--site-lost A|B] [--execute]
 *   [--redis-password-file <file>] [--redis-ca-file <file>] [--kafka-password-file <file>] [--kafka-ca-file <file>]
 *   [--database-user <role>] [--database-password-file <file>] [--discard-divergent] [--pairs redis,kafka,fastdfs,database]`
 *
 * Executes the DR plan (model: switchover/execute-switchover.ts). Dry run by default. The Redis password
 * comes from `--redis-password-file` or the variable HSA_REDIS_PASSWORD, never from the command line;
 * the servers speak TLS only, verified against `--redis-ca-file` (ca.crt of the Redis TLS Secret). Kafka
 * is reached on its external listener as the user `hsa-switchover`: its password from
 * `--kafka-password-file` or HSA_KAFKA_PASSWORD, the listener verified against `--kafka-ca-file`. The
 * business database (where the environment declares it) is read as `--database-user` (default
 * hsa_switchover, a pg_monitor role) with `--database-password-file` or HSA_DATABASE_PASSWORD. FastDFS
 * servers take no login: the switchover reaches its trackers and storage servers at the sites' addresses.
 * Exit codes: 0 done (or dry run), 3 waiting for the lost site to come back (run again), 4 refused (a
 * precondition failed or divergent writes are not acknowledged; the journal says why), 1 failed, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENVIRONMENT_NAME, EnvironmentError, loadEnvironments } from '../model/load-environment';
import { KAFKA_SYSTEM_USERS } from '../pairs/kafka/kafka-plan';
import { databasePairsOf } from '../pairs/database/database-driver';
import { resolveProvince } from '../model/platform-model';
import { CdktfDeployer } from '../switchover/cdktf-deployer';
import { pairKindNames } from '../pairs/registry';
import { executeSwitchover, SwitchoverError, type Deployer } from '../switchover/execute-switchover';
import { JournalError } from '../switchover/journal';
import { parseActiveSite, projectRoot, readFlags, UsageError } from '../pipeline/options';

const SWITCHES = ['--execute', '--discard-divergent'];

export async function main(argv: readonly string[], deployerFor?: (envName: string) => Deployer): Promise<number> {
  try {
    const flags = readFlags(argv.filter((a) => !SWITCHES.includes(a)), ['env', 'to', 'site-lost', 'journal', 'redis-password-file', 'redis-ca-file', 'kafka-password-file', 'kafka-ca-file', 'database-user', 'database-password-file', 'pairs']);
    const envName = flags.get('env');
    if (!envName || !ENVIRONMENT_NAME.test(envName)) throw new UsageError('--env <name>: the environment to switch (2-16 lowercase letters or digits, starting with a letter)');
    const to = parseActiveSite(flags.get('to'), '--to');
    if (!to) throw new UsageError('--to A|B: the site that becomes active');
    const siteLost = parseActiveSite(flags.get('site-lost'), '--site-lost');
    const journal = flags.get('journal');
    if (!journal) throw new UsageError('--journal <dir> is missing: it is required, the directory where the append-only journal and the saved divergent writes go (the same directory resumes an interrupted run)');
    const execute = argv.includes('--execute');
    const [loaded] = loadEnvironments(join(projectRoot(), 'environments'), [envName]);
    const province = resolveProvince(envName, loaded!.environment);

    const kinds = parseKinds(flags.get('pairs'));
    const redis =
      execute && kinds.includes('redis')
        ? {
            password: readPassword(flags.get('redis-password-file'), 'HSA_REDIS_PASSWORD', 'the Redis password: --redis-password-file <file> or the variable HSA_REDIS_PASSWORD (the value of the redis-password key of the Redis Secret)'),
            tlsCa: readCaFile(flags.get('redis-ca-file'), "--redis-ca-file <file>: the CA certificate (ca.crt of the Redis TLS Secret) the Redis servers' certificates come from"),
          }
        : undefined;
    const kafka =
      execute && kinds.includes('kafka')
        ? {
            username: KAFKA_SYSTEM_USERS.switchover,
            password: readPassword(flags.get('kafka-password-file'), 'HSA_KAFKA_PASSWORD', `the Kafka password of the user ${KAFKA_SYSTEM_USERS.switchover}: --kafka-password-file <file> or the variable HSA_KAFKA_PASSWORD (its key in the Kafka users Secret)`),
            ca: readCaFile(flags.get('kafka-ca-file'), "--kafka-ca-file <file>: the CA certificate (ca.crt of the Kafka TLS Secret) the external listeners' certificates come from"),
          }
        : undefined;
    const database =
      execute && kinds.includes('database') && databasePairsOf(province).length > 0
        ? {
            user: flags.get('database-user') ?? DEFAULT_DATABASE_USER,
            password: readPassword(flags.get('database-password-file'), 'HSA_DATABASE_PASSWORD', `the database password of ${flags.get('database-user') ?? DEFAULT_DATABASE_USER} (a role that may read pg_stat_replication, e.g. pg_monitor): --database-password-file <file> or the variable HSA_DATABASE_PASSWORD`),
          }
        : undefined;
    const outcome = await executeSwitchover({
      province,
      kinds,
      to,
      ...(siteLost ? { siteLost } : {}),
      execute,
      journalDir: resolve(journal),
      ...(redis ? { redis } : {}),
      ...(kafka ? { kafka } : {}),
      ...(database ? { database } : {}),
      discardDivergent: argv.includes('--discard-divergent'),
      deployer: deployerFor ? deployerFor(envName) : new CdktfDeployer(envName, projectRoot()),
      print: (line) => process.stdout.write(`${line}\n`),
    });
    switch (outcome.status) {
      case 'completed':
        process.stdout.write(`switchover to ${to} completed; set "activeSite": "${to}" in environments/${envName}.json and commit it\n`);
        return 0;
      case 'dry-run':
        return 0;
      case 'waiting':
        process.stderr.write(`switchover: waiting: ${outcome.reason}\n`);
        return 3;
      case 'refused':
        process.stderr.write(`switchover: refused: ${outcome.reason}\n`);
        return 4;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof EnvironmentError || error instanceof JournalError) {
      process.stderr.write(`switchover: ${error.message}\n`);
      return 2;
    }
    if (error instanceof SwitchoverError) {
      process.stderr.write(`switchover: failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parseKinds(value: string | undefined): string[] {
  if (value === undefined) return [...pairKindNames()];
  const kinds = value.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !pairKindNames().includes(k));
  if (unknown.length > 0 || kinds.length === 0) throw new UsageError(`--pairs ${value}: expected a comma-separated list of ${pairKindNames().join(', ')}`);
  return kinds;
}

/** The database role the switchover reads replication state as, unless `--database-user` says otherwise. */
const DEFAULT_DATABASE_USER = 'hsa_switchover';

function readCaFile(file: string | undefined, usage: string): Buffer {
  if (!file) throw new UsageError(usage);
  const pem = readFileSync(file);
  if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${file}: expected a PEM certificate (-----BEGIN CERTIFICATE-----); ${usage}`);
  return pem;
}

function readPassword(file: string | undefined, variable: string, usage: string): string {
  if (file) return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  const fromEnvironment = process.env[variable];
  if (!fromEnvironment) throw new UsageError(usage);
  return fromEnvironment;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
