import { spawnSync } from 'node:child_process';
import { main } from '../bin/switchover';
import { REDIS_FENCE_MARKER_KEY, redisStartupGate } from '../pairs/redis/redis-plan';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment } from './support/fixtures';

function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = (into: string[]) => ((chunk: string | Uint8Array) => (into.push(String(chunk)), true)) as typeof process.stdout.write;
  const [stdout, stderr] = [process.stdout.write, process.stderr.write];
  process.stdout.write = write(out);
  process.stderr.write = write(err);
  return main(argv, () => ({ describe: () => 'deploy', deploy: () => Promise.reject(new Error('no deploy in a dry run')) })).finally(() => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

test('the dry run lists every step, acts on nothing and needs no password', async () => {
  const { code, out } = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'redis']);
  expect(code).toBe(0);
  expect(out).toContain('nothing is changed');
  expect(out).toContain('Fence redis-session@core at site A (10.10.2.22)');
  expect(out).toContain('Promote redis-session@core at site B (10.20.2.22)');
  // The old site is re-pointed only after its divergent writes are saved and acknowledged.
  expect(out.indexOf('Find and save the writes only redis-session@core')).toBeLessThan(out.indexOf("Deploy site A's stacks"));
});

test('every DR pair kind is switched unless the operator names fewer; an unknown kind is refused', async () => {
  const { code, out } = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal']);
  expect(code).toBe(0);
  for (const pair of ['redis-session@core', 'kafka@core', 'fastdfs@core', 'database@core']) expect(out).toContain(pair);
  const unknown = await run(['--env', 'demo', '--to', 'B', '--journal', '/tmp/x', '--pairs', 'redis,ftp']);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toContain('--pairs redis,ftp: expected a comma-separated list of redis, kafka, fastdfs, database');
});

test('the FastDFS pair: caught up by a marker before the deploy, the new site writable after it, a lost site drained before it is re-pointed', async () => {
  const stepsOf = async (argv: string[]) => {
    const { code, out } = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'fastdfs', ...argv]);
    expect(code).toBe(0);
    return (texts: string[]) => {
      const order = texts.map((text) => {
        const index = out.indexOf(text);
        if (index < 0) throw new Error(`no step "${text}" in the dry run:\n${out}`);
        return index;
      });
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    };
  };
  (await stepsOf([]))([
    "Store a marker file at fastdfs@core's storage server at site A and wait until site B's holds it",
    "Deploy site B's stacks",
    "Verify fastdfs@core's tracker at site B sends uploads to site B's storage server",
    "Deploy site A's stacks",
    'Verify both trackers of fastdfs@core send uploads to site B (access modes swapped) and a marker crosses each way',
  ]);
  (await stepsOf(['--site-lost', 'A']))([
    "Deploy site B's stacks",
    "Verify fastdfs@core's tracker at site B sends uploads to site B's storage server",
    'Wait until every file fastdfs@core at site A took (also while cut off) is at site B',
    "Deploy site A's stacks",
    'Verify both trackers of fastdfs@core send uploads to site B',
  ]);
});

test('the Kafka pair: caught up before the promotion, MirrorMaker 2 at the new site stopped before the old site is rebuilt clean, the old site re-pointed last', async () => {
  const { code, out } = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'redis,kafka']);
  expect(code).toBe(0);
  const at = (text: string) => {
    const index = out.indexOf(text);
    if (index < 0) throw new Error(`no step "${text}" in the dry run:\n${out}`);
    return index;
  };
  const order = [
    'Wait until MirrorMaker 2 at site B has copied every record of kafka@core',
    'Promote redis-session@core at site B',
    'Find and save the records only kafka@core at site A holds',
    "Deploy site B's stacks",
    'Verify MirrorMaker 2 at site B has stopped',
    'Rebuild kafka@core at site A clean',
    "Deploy site A's stacks",
    'Verify MirrorMaker 2 at site A runs and has copied every record of kafka@core at site B',
  ].map(at);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

test('fails when the lost site is not the active one, or the target is already active', async () => {
  expect((await run(['--env', 'demo', '--to', 'B', '--site-lost', 'B', '--journal', '/tmp/x', '--pairs', 'redis'])).code).toBe(1);
  const already = await run(['--env', 'demo', '--to', 'A', '--journal', '/tmp/x', '--pairs', 'redis']);
  expect(already.code).toBe(1);
  expect(already.err).toContain('site A is already active');
});

test('the start-up gate fences an active site\'s primary when the other datacenter answers as a primary, and only there', () => {
  const province = resolveProvince('demo', loadEnvironment('demo').environment);
  const at = (site: 'A' | 'B') => province.units.find((u) => u.zone === 'core' && u.site === site)!.middlewarePlan.redis.find((r) => r.role === 'redis-session')!;
  const [gate] = redisStartupGate(at('A'));
  // Over TLS: the chart's TLS mode closes the plaintext port; the other site's certificate has the same CA.
  expect(gate).toContain('redis-cli --tls --cacert "$REDIS_TLS_CA_FILE" -h 10.20.2.22 -p 6379');
  expect(gate).toContain('= "master" ]');
  expect(gate).toContain('ARGS+=("--min-replicas-to-write" "1000")');
  // A server fenced once starts fenced again, whether the other site answers or not: its own data holds the marker.
  expect(gate).toContain(`grep -rqaF '${REDIS_FENCE_MARKER_KEY}' "$HSA_DR_DIR/appendonlydir" "$HSA_DR_DIR/dump.rdb"`);
  expect(gate.indexOf(REDIS_FENCE_MARKER_KEY)).toBeLessThan(gate.indexOf('ROLE'));
  // bash itself parses it (the chart's start script is bash).
  const syntax = spawnSync('bash', ['-n'], { input: `ARGS=()\n${gate}\n`, encoding: 'utf8' });
  expect({ status: syntax.status, stderr: syntax.stderr }).toEqual({ status: 0, stderr: '' });
  // The standby's primary is a read-only replica already.
  expect(redisStartupGate(at('B'))).toEqual([]);
});

test('acting needs each pair kind\'s credentials and CA, named by the operator, never on the command line', async () => {
  const saved = { redis: process.env.HSA_REDIS_PASSWORD, kafka: process.env.HSA_KAFKA_PASSWORD };
  try {
    process.env.HSA_REDIS_PASSWORD = 'x';
    delete process.env.HSA_KAFKA_PASSWORD;
    const noCa = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'redis', '--execute']);
    expect(noCa.code).toBe(2);
    expect(noCa.err).toContain('--redis-ca-file <file>: the CA certificate (ca.crt of the Redis TLS Secret)');
    const notPem = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'redis', '--execute', '--redis-ca-file', __filename]);
    expect(notPem.code).toBe(2);
    expect(notPem.err).toContain(`${__filename}: expected a PEM certificate`);
    const noKafkaPassword = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'kafka', '--execute']);
    expect(noKafkaPassword.code).toBe(2);
    expect(noKafkaPassword.err).toContain('the Kafka password of the user hsa-switchover: --kafka-password-file <file> or the variable HSA_KAFKA_PASSWORD');
  } finally {
    for (const [name, value] of [['HSA_REDIS_PASSWORD', saved.redis], ['HSA_KAFKA_PASSWORD', saved.kafka]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('the database pair: caught up once its applications stop, promoted only after the old primary is demoted, the old site followed last', async () => {
  const { code, out } = await run(['--env', 'demo', '--to', 'B', '--journal', '/nonexistent/journal', '--pairs', 'database']);
  expect(code).toBe(0);
  const caught = out.indexOf('Wait until database@core at site B has replayed every byte site A wrote');
  const promoted = out.indexOf('Wait until database@core at site A is demoted and site B takes writes');
  const deployB = out.indexOf("Deploy site B's stacks");
  const following = out.indexOf('Verify database@core at site A streams from site B');
  expect([caught, promoted, deployB, following].every((i) => i > 0)).toBe(true);
  expect(caught < promoted && promoted < deployB && deployB < following).toBe(true);
});

test('fails without --journal, saying the option is missing and what it is for', async () => {
  const missing = await run(['--env', 'demo', '--to', 'B']);
  expect(missing.code).toBe(2);
  expect(missing.err).toContain('--journal <dir> is missing: it is required');
});
