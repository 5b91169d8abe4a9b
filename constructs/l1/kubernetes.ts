/**
 * Light factories for the kubernetes provider resources the toolkit uses (see light-resource.ts).
 * The attribute lists mirror the generated classes' `synthesizeAttributes` of @cdktf/provider-kubernetes
 * 12.1.1; test/l1-equivalence.test.ts checks the output is byte-identical.
 */
import { namespaceV1MetadataToTerraform, namespaceV1TimeoutsToTerraform, type NamespaceV1Config } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { roleV1MetadataToTerraform, roleV1RuleToTerraform, type RoleV1Config } from '@cdktf/provider-kubernetes/lib/role-v1';
import { clusterRoleV1AggregationRuleToTerraform, clusterRoleV1MetadataToTerraform, clusterRoleV1RuleToTerraform, type ClusterRoleV1Config } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { clusterRoleBindingV1MetadataToTerraform, clusterRoleBindingV1RoleRefToTerraform, clusterRoleBindingV1SubjectToTerraform, type ClusterRoleBindingV1Config } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { roleBindingV1MetadataToTerraform, roleBindingV1RoleRefToTerraform, roleBindingV1SubjectToTerraform, type RoleBindingV1Config } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import { resourceQuotaV1MetadataToTerraform, resourceQuotaV1SpecToTerraform, resourceQuotaV1TimeoutsToTerraform, type ResourceQuotaV1Config } from '@cdktf/provider-kubernetes/lib/resource-quota-v1';
import { limitRangeV1MetadataToTerraform, limitRangeV1SpecToTerraform, type LimitRangeV1Config } from '@cdktf/provider-kubernetes/lib/limit-range-v1';
import { networkPolicyV1MetadataToTerraform, networkPolicyV1SpecToTerraform, type NetworkPolicyV1Config } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { configMapV1MetadataToTerraform, type ConfigMapV1Config } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { deploymentV1MetadataToTerraform, deploymentV1SpecToTerraform, deploymentV1TimeoutsToTerraform, type DeploymentV1Config } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { serviceV1MetadataToTerraform, serviceV1SpecToTerraform, serviceV1TimeoutsToTerraform, type ServiceV1Config } from '@cdktf/provider-kubernetes/lib/service-v1';
import { podDisruptionBudgetV1MetadataToTerraform, podDisruptionBudgetV1SpecToTerraform, type PodDisruptionBudgetV1Config } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { horizontalPodAutoscalerV2MetadataToTerraform, horizontalPodAutoscalerV2SpecToTerraform, type HorizontalPodAutoscalerV2Config } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { statefulSetV1MetadataToTerraform, statefulSetV1SpecToTerraform, statefulSetV1TimeoutsToTerraform, type StatefulSetV1Config } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';
import { manifestFieldManagerToTerraform, manifestTimeoutsToTerraform, manifestWaitForToTerraform, manifestWaitToTerraform, type ManifestConfig } from '@cdktf/provider-kubernetes/lib/manifest';
import { serviceAccountV1ImagePullSecretToTerraform, serviceAccountV1MetadataToTerraform, serviceAccountV1SecretToTerraform, serviceAccountV1TimeoutsToTerraform, type ServiceAccountV1Config } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { persistentVolumeClaimV1MetadataToTerraform, persistentVolumeClaimV1SpecToTerraform, persistentVolumeClaimV1TimeoutsToTerraform, type PersistentVolumeClaimV1Config } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { secretV1MetadataToTerraform, secretV1TimeoutsToTerraform, type SecretV1Config } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { cronJobV1MetadataToTerraform, cronJobV1SpecToTerraform, cronJobV1TimeoutsToTerraform, type CronJobV1Config } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { anyToTerraform, booleanToTerraform, hashMapper, listMapper, numberToTerraform, stringToTerraform } from 'cdktf';
import { lightFactory, type ProviderInfo } from './light-resource';

const KUBERNETES: ProviderInfo = { providerName: 'kubernetes', providerVersion: '2.38.0', providerVersionConstraint: '~> 2.0' };

/** `kubernetes_namespace_v1` */
export const namespaceV1 = lightFactory<NamespaceV1Config>({
  terraformResourceType: 'kubernetes_namespace_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    wait_for_default_service_account: booleanToTerraform(c.waitForDefaultServiceAccount),
    metadata: namespaceV1MetadataToTerraform(c.metadata),
    timeouts: namespaceV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/namespace-v1') as typeof import('@cdktf/provider-kubernetes/lib/namespace-v1')).NamespaceV1,
});

/** `kubernetes_role_v1` */
export const roleV1 = lightFactory<RoleV1Config>({
  terraformResourceType: 'kubernetes_role_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: roleV1MetadataToTerraform(c.metadata),
    rule: listMapper(roleV1RuleToTerraform, true)(c.rule),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/role-v1') as typeof import('@cdktf/provider-kubernetes/lib/role-v1')).RoleV1,
});

/** `kubernetes_role_binding_v1` */
export const roleBindingV1 = lightFactory<RoleBindingV1Config>({
  terraformResourceType: 'kubernetes_role_binding_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: roleBindingV1MetadataToTerraform(c.metadata),
    role_ref: roleBindingV1RoleRefToTerraform(c.roleRef),
    subject: listMapper(roleBindingV1SubjectToTerraform, true)(c.subject),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/role-binding-v1') as typeof import('@cdktf/provider-kubernetes/lib/role-binding-v1')).RoleBindingV1,
});

/** `kubernetes_cluster_role_v1` */
export const clusterRoleV1 = lightFactory<ClusterRoleV1Config>({
  terraformResourceType: 'kubernetes_cluster_role_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    aggregation_rule: clusterRoleV1AggregationRuleToTerraform(c.aggregationRule),
    metadata: clusterRoleV1MetadataToTerraform(c.metadata),
    rule: listMapper(clusterRoleV1RuleToTerraform, true)(c.rule),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/cluster-role-v1') as typeof import('@cdktf/provider-kubernetes/lib/cluster-role-v1')).ClusterRoleV1,
});

/** `kubernetes_cluster_role_binding_v1` */
export const clusterRoleBindingV1 = lightFactory<ClusterRoleBindingV1Config>({
  terraformResourceType: 'kubernetes_cluster_role_binding_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: clusterRoleBindingV1MetadataToTerraform(c.metadata),
    role_ref: clusterRoleBindingV1RoleRefToTerraform(c.roleRef),
    subject: listMapper(clusterRoleBindingV1SubjectToTerraform, true)(c.subject),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/cluster-role-binding-v1') as typeof import('@cdktf/provider-kubernetes/lib/cluster-role-binding-v1')).ClusterRoleBindingV1,
});

/** `kubernetes_resource_quota_v1` */
export const resourceQuotaV1 = lightFactory<ResourceQuotaV1Config>({
  terraformResourceType: 'kubernetes_resource_quota_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: resourceQuotaV1MetadataToTerraform(c.metadata),
    spec: resourceQuotaV1SpecToTerraform(c.spec),
    timeouts: resourceQuotaV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/resource-quota-v1') as typeof import('@cdktf/provider-kubernetes/lib/resource-quota-v1')).ResourceQuotaV1,
});

/** `kubernetes_limit_range_v1` */
export const limitRangeV1 = lightFactory<LimitRangeV1Config>({
  terraformResourceType: 'kubernetes_limit_range_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: limitRangeV1MetadataToTerraform(c.metadata),
    spec: limitRangeV1SpecToTerraform(c.spec),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/limit-range-v1') as typeof import('@cdktf/provider-kubernetes/lib/limit-range-v1')).LimitRangeV1,
});

/** `kubernetes_network_policy_v1` */
export const networkPolicyV1 = lightFactory<NetworkPolicyV1Config>({
  terraformResourceType: 'kubernetes_network_policy_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: networkPolicyV1MetadataToTerraform(c.metadata),
    spec: networkPolicyV1SpecToTerraform(c.spec),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/network-policy-v1') as typeof import('@cdktf/provider-kubernetes/lib/network-policy-v1')).NetworkPolicyV1,
});

/** `kubernetes_config_map_v1` */
export const configMapV1 = lightFactory<ConfigMapV1Config>({
  terraformResourceType: 'kubernetes_config_map_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    binary_data: hashMapper(stringToTerraform)(c.binaryData),
    data: hashMapper(stringToTerraform)(c.data),
    id: stringToTerraform(c.id),
    immutable: booleanToTerraform(c.immutable),
    metadata: configMapV1MetadataToTerraform(c.metadata),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/config-map-v1') as typeof import('@cdktf/provider-kubernetes/lib/config-map-v1')).ConfigMapV1,
});

/** `kubernetes_deployment_v1` */
export const deploymentV1 = lightFactory<DeploymentV1Config>({
  terraformResourceType: 'kubernetes_deployment_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    wait_for_rollout: booleanToTerraform(c.waitForRollout),
    metadata: deploymentV1MetadataToTerraform(c.metadata),
    spec: deploymentV1SpecToTerraform(c.spec),
    timeouts: deploymentV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/deployment-v1') as typeof import('@cdktf/provider-kubernetes/lib/deployment-v1')).DeploymentV1,
});

/** `kubernetes_service_v1` */
export const serviceV1 = lightFactory<ServiceV1Config>({
  terraformResourceType: 'kubernetes_service_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    wait_for_load_balancer: booleanToTerraform(c.waitForLoadBalancer),
    metadata: serviceV1MetadataToTerraform(c.metadata),
    spec: serviceV1SpecToTerraform(c.spec),
    timeouts: serviceV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/service-v1') as typeof import('@cdktf/provider-kubernetes/lib/service-v1')).ServiceV1,
});

/** `kubernetes_pod_disruption_budget_v1` */
export const podDisruptionBudgetV1 = lightFactory<PodDisruptionBudgetV1Config>({
  terraformResourceType: 'kubernetes_pod_disruption_budget_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: podDisruptionBudgetV1MetadataToTerraform(c.metadata),
    spec: podDisruptionBudgetV1SpecToTerraform(c.spec),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1') as typeof import('@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1')).PodDisruptionBudgetV1,
});

/** `kubernetes_horizontal_pod_autoscaler_v2` */
export const horizontalPodAutoscalerV2 = lightFactory<HorizontalPodAutoscalerV2Config>({
  terraformResourceType: 'kubernetes_horizontal_pod_autoscaler_v2',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: horizontalPodAutoscalerV2MetadataToTerraform(c.metadata),
    spec: horizontalPodAutoscalerV2SpecToTerraform(c.spec),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2') as typeof import('@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2')).HorizontalPodAutoscalerV2,
});

/** `kubernetes_stateful_set_v1` */
export const statefulSetV1 = lightFactory<StatefulSetV1Config>({
  terraformResourceType: 'kubernetes_stateful_set_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    wait_for_rollout: booleanToTerraform(c.waitForRollout),
    metadata: statefulSetV1MetadataToTerraform(c.metadata),
    spec: statefulSetV1SpecToTerraform(c.spec),
    timeouts: statefulSetV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/stateful-set-v1') as typeof import('@cdktf/provider-kubernetes/lib/stateful-set-v1')).StatefulSetV1,
});

/** `kubernetes_manifest` */
export const manifest = lightFactory<ManifestConfig>({
  terraformResourceType: 'kubernetes_manifest',
  provider: KUBERNETES,
  attributes: (c) => ({
    computed_fields: listMapper(stringToTerraform, false)(c.computedFields),
    manifest: hashMapper(anyToTerraform)(c.manifest),
    object: hashMapper(anyToTerraform)(c.object),
    wait_for: manifestWaitForToTerraform(c.waitFor),
    field_manager: manifestFieldManagerToTerraform(c.fieldManager),
    timeouts: manifestTimeoutsToTerraform(c.timeouts),
    wait: manifestWaitToTerraform(c.wait),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/manifest') as typeof import('@cdktf/provider-kubernetes/lib/manifest')).Manifest,
});

/** `kubernetes_service_account_v1` */
export const serviceAccountV1 = lightFactory<ServiceAccountV1Config>({
  terraformResourceType: 'kubernetes_service_account_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    automount_service_account_token: booleanToTerraform(c.automountServiceAccountToken),
    id: stringToTerraform(c.id),
    image_pull_secret: listMapper(serviceAccountV1ImagePullSecretToTerraform, true)(c.imagePullSecret),
    metadata: serviceAccountV1MetadataToTerraform(c.metadata),
    secret: listMapper(serviceAccountV1SecretToTerraform, true)(c.secret),
    timeouts: serviceAccountV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/service-account-v1') as typeof import('@cdktf/provider-kubernetes/lib/service-account-v1')).ServiceAccountV1,
});

/** `kubernetes_persistent_volume_claim_v1` */
export const persistentVolumeClaimV1 = lightFactory<PersistentVolumeClaimV1Config>({
  terraformResourceType: 'kubernetes_persistent_volume_claim_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    wait_until_bound: booleanToTerraform(c.waitUntilBound),
    metadata: persistentVolumeClaimV1MetadataToTerraform(c.metadata),
    spec: persistentVolumeClaimV1SpecToTerraform(c.spec),
    timeouts: persistentVolumeClaimV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1') as typeof import('@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1')).PersistentVolumeClaimV1,
});

/** `kubernetes_cron_job_v1` */
export const cronJobV1 = lightFactory<CronJobV1Config>({
  terraformResourceType: 'kubernetes_cron_job_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    id: stringToTerraform(c.id),
    metadata: cronJobV1MetadataToTerraform(c.metadata),
    spec: cronJobV1SpecToTerraform(c.spec),
    timeouts: cronJobV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/cron-job-v1') as typeof import('@cdktf/provider-kubernetes/lib/cron-job-v1')).CronJobV1,
});

/** `kubernetes_secret_v1` */
export const secretV1 = lightFactory<SecretV1Config>({
  terraformResourceType: 'kubernetes_secret_v1',
  provider: KUBERNETES,
  attributes: (c) => ({
    binary_data: hashMapper(stringToTerraform)(c.binaryData),
    binary_data_wo: hashMapper(stringToTerraform)(c.binaryDataWo),
    binary_data_wo_revision: numberToTerraform(c.binaryDataWoRevision),
    data: hashMapper(stringToTerraform)(c.data),
    data_wo: hashMapper(stringToTerraform)(c.dataWo),
    data_wo_revision: numberToTerraform(c.dataWoRevision),
    id: stringToTerraform(c.id),
    immutable: booleanToTerraform(c.immutable),
    type: stringToTerraform(c.type),
    wait_for_service_account_token: booleanToTerraform(c.waitForServiceAccountToken),
    metadata: secretV1MetadataToTerraform(c.metadata),
    timeouts: secretV1TimeoutsToTerraform(c.timeouts),
  }),
  generated: () => (require('@cdktf/provider-kubernetes/lib/secret-v1') as typeof import('@cdktf/provider-kubernetes/lib/secret-v1')).SecretV1,
});
