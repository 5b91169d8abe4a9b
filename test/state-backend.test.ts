import { configureStateBackend, type StateBackend } from '../constructs/cluster/state-backend';
import { synthesizeStack } from './support/fixtures';
import type { JsonObject } from '../compliance/types';

function backendOf(backend: StateBackend): JsonObject {
  return synthesizeStack('demo-core-a', (stack) => configureStateBackend(stack, 'demo-core-a', backend)).terraform.backend as JsonObject;
}

test('local: a relative path from the stack directory to terraform-state/<stack>.tfstate', () => {
  expect(backendOf({ type: 'local', directory: 'terraform-state' })).toEqual({ local: { path: '../../../terraform-state/demo-core-a.tfstate' } });
});

test('pg: one schema per stack and no connection string (it comes from PG_CONN_STR)', () => {
  expect(backendOf({ type: 'pg', schemaName: 'hsa_demo_demo_core_a' })).toEqual({ pg: { schema_name: 'hsa_demo_demo_core_a' } });
});

test('s3-compatible: endpoint, path-style URLs, lock file, and no AWS-only checks; no keys written', () => {
  const s3 = backendOf({ type: 's3', bucket: 'hsa-state', key: 'hsa/demo/demo-core-a.tfstate', region: 'us-east-1', endpoint: 'https://minio.ops:9000', usePathStyle: true }).s3 as JsonObject;
  expect(s3).toMatchObject({
    bucket: 'hsa-state',
    key: 'hsa/demo/demo-core-a.tfstate',
    endpoints: { s3: 'https://minio.ops:9000' },
    use_path_style: true,
    use_lockfile: true,
    skip_credentials_validation: true,
    skip_region_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
  });
  expect(Object.keys(s3).filter((k) => /key$|secret|token/i.test(k) && k !== 'key')).toEqual([]);
});
