/**
 * Rule packs. Each rule id is `<Pack>-<Rule>`; a pack is the list of its rules, each at the severity the
 * pack gives it (a rule says what is wrong, the pack says how much it weighs).
 *   K8S       Kubernetes hardening after the NSA/CISA guide (resource rules)
 *   SEC       no plaintext secrets, no plaintext across the datacenter link (resource rules)
 *   HSAF      medical-insurance application framework: names not IPs, sessions apart from cache
 *   ZONE      GB/T 22240-2020 level 3 network zoning
 *   SYM       A/B symmetry of the two datacenters
 *   GBT20988  GB/T 20988 disaster-recovery level
 *   OBS       observability: every DR pair and backup alerted
 */
import { atSeverity, type ProvinceRule, type ResourceRule } from './types';
import { k8sPodSecurityRestricted } from './rules/k8s-pod-security-restricted';
import { gbt20988Level } from './rules/gbt20988-level';
import { hsafMiddlewareByName } from './rules/hsaf-middleware-by-name';
import { hsafNoIpInConfig } from './rules/hsaf-no-ip-in-config';
import { hsafSessionCacheSeparate } from './rules/hsaf-session-cache-separate';
import { k8sCapabilitiesDropped } from './rules/k8s-capabilities-dropped';
import { k8sNoHostAccess } from './rules/k8s-no-host-access';
import { k8sObjectSize } from './rules/k8s-object-size';
import { k8sNoPrivilegeEscalation } from './rules/k8s-no-privilege-escalation';
import { k8sReadOnlyRootFilesystem } from './rules/k8s-read-only-root-filesystem';
import { k8sResourceLimits } from './rules/k8s-resource-limits';
import { k8sRunAsNonRoot } from './rules/k8s-run-as-non-root';
import { obsEveryPairAlerted } from './rules/obs-every-pair-alerted';
import { secCrossSiteEncrypted } from './rules/sec-cross-site-encrypted';
import { secNoPlaintextSecrets } from './rules/sec-no-plaintext-secrets';
import { secNoSecretDataInState } from './rules/sec-no-secret-data-in-state';
import { secNoSecretValues } from './rules/sec-no-secret-values';
import { symABSymmetry } from './rules/sym-ab-symmetry';
import { zoneGatewayOnly } from './rules/zone-gateway-only';
import { zoneSeparated } from './rules/zone-separated';

export const K8S_PACK: readonly ResourceRule[] = [
  atSeverity(k8sRunAsNonRoot, 'error'),
  atSeverity(k8sNoPrivilegeEscalation, 'error'),
  atSeverity(k8sCapabilitiesDropped, 'error'),
  atSeverity(k8sResourceLimits, 'error'),
  atSeverity(k8sNoHostAccess, 'error'),
  // A warning: some vendor images write to their root filesystem and are reviewed case by case.
  atSeverity(k8sReadOnlyRootFilesystem, 'warning'),
  atSeverity(k8sPodSecurityRestricted, 'error'),
  atSeverity(k8sObjectSize, 'error'),
];
export const SEC_PACK: readonly ResourceRule[] = [
  atSeverity(secNoPlaintextSecrets, 'error'),
  atSeverity(secNoSecretValues, 'error'),
  atSeverity(secNoSecretDataInState, 'error'),
  atSeverity(secCrossSiteEncrypted, 'error'),
];
/** The HSAF rules that need nothing but the output. */
export const HSAF_OUTPUT_PACK: readonly ResourceRule[] = [atSeverity(hsafNoIpInConfig, 'error')];

/** Resource rules that need nothing but a synthesized output (`npm run check` on any directory). */
export const OUTPUT_RULES: readonly ResourceRule[] = [...K8S_PACK, ...SEC_PACK, ...HSAF_OUTPUT_PACK];

/** Resource rules for a province whose platform DNS zone is `<env>.<dnsDomain>`. */
export function resourceRules(platformDomains: readonly string[]): readonly ResourceRule[] {
  return [...OUTPUT_RULES, atSeverity(hsafMiddlewareByName(platformDomains), 'error')];
}

export const PROVINCE_RULES: readonly ProvinceRule[] = [
  atSeverity(hsafSessionCacheSeparate, 'error'),
  atSeverity(zoneSeparated, 'error'),
  atSeverity(zoneGatewayOnly, 'error'),
  atSeverity(symABSymmetry, 'error'),
  atSeverity(gbt20988Level, 'error'),
  atSeverity(obsEveryPairAlerted, 'error'),
];
