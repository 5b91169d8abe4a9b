/**
 * The check-command contract for a database product other than PostgreSQL (middleware.database.check):
 * what the switchover accepts from a DBA's command and how it refuses anything else. The drill
 * test/drills/database-pair.test.ts runs a whole switchover through such a command against real servers.
 */
import { commandProbe } from '../pairs/database/database-member';

const target = { host: '10.10.2.40', port: 5236, user: 'hsa_switchover', password: 'not-on-the-command-line' };
const sh = (script: string) => commandProbe('DM8', ['/bin/sh', '-c', script]);

test('a primary with a streaming standby, a standby with its replay age, and readOnly after a demotion', async () => {
  const primary = sh(`printf '{"role":"primary","position":"123456789012","streaming":[{"address":"10.20.2.40","state":"streaming","position":123456789000}],"readOnly":false}'`);
  expect(await primary.state(target)).toEqual({ standby: false, lsn: 123456789012n, streaming: [{ address: '10.20.2.40', state: 'streaming', replayLsn: 123456789000n }] });
  expect(await primary.readOnly(target)).toBe(false);
  const standby = sh(`printf '{"role":"standby","position":42,"replayAgeSeconds":1.5}'`);
  expect(await standby.state(target)).toEqual({ standby: true, lsn: 42n, streaming: [], replayAgeSeconds: 1.5 });
  expect(await standby.readOnly(target)).toBe(true);
  expect(await sh(`printf '{"role":"primary","position":"7","readOnly":true}'`).readOnly(target)).toBe(true);
});

test('the server and the login reach the command in HSA_DB_* variables, never on its command line', async () => {
  const echo = sh(`printf '{"role":"standby","position":"%s"}' "$(printf '%s' "$HSA_DB_HOST:$HSA_DB_PORT:$HSA_DB_USER:$HSA_DB_PASSWORD" | wc -c)"`);
  const expected = `${target.host}:${target.port}:${target.user}:${target.password}`.length;
  expect((await echo.state(target)).lsn).toBe(BigInt(expected));
});

test('refused, naming the product, the command and what is wrong: not JSON, a wrong field, a failing command', async () => {
  await expect(sh('echo standby').state(target)).rejects.toThrow(/DM8 check command \(\/bin\/sh\) for 10\.10\.2\.40:5236 printed no JSON object \(received "standby"\)/);
  await expect(sh(`printf '{"role":"leader","position":1}'`).state(target)).rejects.toThrow(/printed role that does not fit/);
  await expect(sh(`printf '{"role":"standby","position":"-1"}'`).state(target)).rejects.toThrow(/printed position that does not fit/);
  await expect(sh('echo "ORA-12541: no listener" >&2; exit 3').state(target)).rejects.toThrow(/DM8 check command \(\/bin\/sh\) for 10\.10\.2\.40:5236 failed: ORA-12541: no listener/);
});
