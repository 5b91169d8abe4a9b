import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider, type KubernetesProviderConfig } from '@cdktf/provider-kubernetes/lib/provider';
import { Fn, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { fromStackDirectory } from './stack-paths';

/**
 * How Terraform reaches one cluster: a kubeconfig context, or an API server with a CA certificate and a
 * bearer token. Paths are relative to the project root (or start with `~/`): absolute paths differ
 * between the machines that run `cdktf deploy`.
 */
export type ClusterConnection =
  | { readonly kubeconfig: { readonly path: string; readonly context: string } }
  | { readonly host: string; readonly caCertificateFile: string };

export interface ClusterProvidersProps {
  /** How Terraform reaches the cluster: a kubeconfig context, or an API server with its CA and a token variable. */
  readonly connection: ClusterConnection;
}

/**
 * The kubernetes and helm providers of one stack, configured for the same cluster. With a host
 * connection the bearer token is the sensitive Terraform variable `cluster_token` (set
 * `TF_VAR_cluster_token` at deploy time), so it never appears in the synthesized output.
 */
export class ClusterProviders extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: ClusterProvidersProps) {
    super(scope, id);
    const access = clusterAccess(this, props.connection);
    this.kubernetes = new KubernetesProvider(this, 'Kubernetes', access);
    // Helm provider 3.x: `kubernetes` is one nested object with the same fields.
    this.helm = new HelmProvider(this, 'Helm', { kubernetes: access });
  }
}

/** The fields the kubernetes provider and the helm provider's `kubernetes` object share. */
type ClusterAccessFields = Pick<KubernetesProviderConfig, 'configPath' | 'configContext' | 'host' | 'clusterCaCertificate' | 'token'>;

function clusterAccess(scope: Construct, connection: ClusterConnection): ClusterAccessFields {
  if ('kubeconfig' in connection) {
    return { configPath: fromStackDirectory(connection.kubeconfig.path), configContext: connection.kubeconfig.context };
  }
  const token = new TerraformVariable(scope, 'cluster_token', {
    type: 'string',
    sensitive: true,
    nullable: false,
    description: `Bearer token for ${connection.host} (set TF_VAR_cluster_token).`,
  });
  // A fixed variable name, so operators set TF_VAR_cluster_token whatever the construct path.
  token.overrideLogicalId('cluster_token');
  return {
    host: connection.host,
    clusterCaCertificate: Fn.file(fromStackDirectory(connection.caCertificateFile)),
    token: token.stringValue,
  };
}
