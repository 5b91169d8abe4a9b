/** Light factory for the helm provider's `helm_release` (see light-resource.ts); mirrors @cdktf/provider-helm 12.1.2. */
import { releasePostrenderToTerraform, releaseSetListStructToTerraform, releaseSetSensitiveToTerraform, releaseSetToTerraform, releaseSetWoToTerraform, releaseTimeoutsToTerraform, type ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import { booleanToTerraform, listMapper, numberToTerraform, stringToTerraform } from 'cdktf';
import { lightFactory, type ProviderInfo } from './light-resource';

const HELM: ProviderInfo = { providerName: 'helm', providerVersion: '3.1.1', providerVersionConstraint: '~> 3.0' };

/** `helm_release` */
export const helmRelease = lightFactory<ReleaseConfig>({
  terraformResourceType: 'helm_release',
  provider: HELM,
  attributes: (c) => ({
    atomic: booleanToTerraform(c.atomic),
    chart: stringToTerraform(c.chart),
    cleanup_on_fail: booleanToTerraform(c.cleanupOnFail),
    create_namespace: booleanToTerraform(c.createNamespace),
    dependency_update: booleanToTerraform(c.dependencyUpdate),
    description: stringToTerraform(c.description),
    devel: booleanToTerraform(c.devel),
    disable_crd_hooks: booleanToTerraform(c.disableCrdHooks),
    disable_openapi_validation: booleanToTerraform(c.disableOpenapiValidation),
    disable_webhooks: booleanToTerraform(c.disableWebhooks),
    force_update: booleanToTerraform(c.forceUpdate),
    keyring: stringToTerraform(c.keyring),
    lint: booleanToTerraform(c.lint),
    max_history: numberToTerraform(c.maxHistory),
    name: stringToTerraform(c.name),
    namespace: stringToTerraform(c.namespace),
    pass_credentials: booleanToTerraform(c.passCredentials),
    postrender: releasePostrenderToTerraform(c.postrender),
    recreate_pods: booleanToTerraform(c.recreatePods),
    render_subchart_notes: booleanToTerraform(c.renderSubchartNotes),
    replace: booleanToTerraform(c.replace),
    repository: stringToTerraform(c.repository),
    repository_ca_file: stringToTerraform(c.repositoryCaFile),
    repository_cert_file: stringToTerraform(c.repositoryCertFile),
    repository_key_file: stringToTerraform(c.repositoryKeyFile),
    repository_password: stringToTerraform(c.repositoryPassword),
    repository_username: stringToTerraform(c.repositoryUsername),
    reset_values: booleanToTerraform(c.resetValues),
    reuse_values: booleanToTerraform(c.reuseValues),
    set: listMapper(releaseSetToTerraform, false)(c.set),
    set_list: listMapper(releaseSetListStructToTerraform, false)(c.setList),
    set_sensitive: listMapper(releaseSetSensitiveToTerraform, false)(c.setSensitive),
    set_wo: listMapper(releaseSetWoToTerraform, false)(c.setWo),
    set_wo_revision: numberToTerraform(c.setWoRevision),
    skip_crds: booleanToTerraform(c.skipCrds),
    take_ownership: booleanToTerraform(c.takeOwnership),
    timeout: numberToTerraform(c.timeout),
    timeouts: releaseTimeoutsToTerraform(c.timeouts),
    upgrade_install: booleanToTerraform(c.upgradeInstall),
    values: listMapper(stringToTerraform, false)(c.values),
    verify: booleanToTerraform(c.verify),
    version: stringToTerraform(c.version),
    wait: booleanToTerraform(c.wait),
    wait_for_jobs: booleanToTerraform(c.waitForJobs),
  }),
  generated: () => (require('@cdktf/provider-helm/lib/release') as typeof import('@cdktf/provider-helm/lib/release')).Release,
});
