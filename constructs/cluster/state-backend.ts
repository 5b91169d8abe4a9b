import { LocalBackend, PgBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { ResolvedBackend } from '../../model/platform-model';
import { fromStackDirectory } from './stack-paths';

/** Where one stack keeps its Terraform state (each stack its own: no stack reads another's). */
export type StateBackend = ResolvedBackend;

/**
 * Configures the stack's backend. Nothing secret is written: the pg connection string comes from
 * `PG_CONN_STR`, object-storage keys from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` at deploy time.
 */
export function configureStateBackend(stack: TerraformStack, stackName: string, backend: StateBackend): void {
  switch (backend.type) {
    case 'local':
      // cdktf's default local path is absolute (process.cwd()); a relative one keeps the output portable.
      new LocalBackend(stack, { path: fromStackDirectory(`${backend.directory}/${stackName}.tfstate`) });
      return;
    case 'pg': {
      const pg = new PgBackend(stack, { connStr: '', schemaName: backend.schemaName });
      // cdktf requires connStr; removing it lets Terraform read PG_CONN_STR, so no password is written.
      pg.addOverride('conn_str', undefined);
      return;
    }
    case 's3': {
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        endpoints: { s3: backend.endpoint },
        usePathStyle: backend.usePathStyle,
        // S3-compatible stores (OSS, COS, MinIO) have no AWS account, STS or region list to check against.
        skipCredentialsValidation: true,
        skipRegionValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
        skipS3Checksum: true,
      });
      // Terraform >= 1.10 locks with a lock file next to the state; cdktf 0.21 has no typed field for it yet.
      s3.addOverride('use_lockfile', true);
      return;
    }
  }
}
