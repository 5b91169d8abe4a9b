/**
 * Rule packs. Each rule id is `<Pack>-<Rule>`; a pack is the list of its rules.
 *   K8S       Kubernetes hardening after the NSA/CISA guide (resource rules)
 *   SEC       no plaintext secrets, no plaintext across the datacenter link (resource rules)
 *   HSAF      medical-insurance application framework: names not IPs, sessions apart from cache
 *   ZONE      GB/T 22240-2020 level 3 network zoning
 *   SYM       A/B symmetry of the two datacenters
 *   GBT20988  GB/T 20988 disaster-recovery level
 */
import type { ProvinceRule, ResourceRule } from './types';
import { k8sPodSecurityRestricted } from './rules/k8s-pod-security-restricted';
import { gbt20988Level } from './rules/gbt20988-level';
import { hsafMiddlewareByName } from './rules/hsaf-middleware-by-name';
import { hsafNoIpInConfig } from './rules/hsaf-no-ip-in-config';
import { hsafSessionCacheSeparate } from './rules/hsaf-session-cache-separate';
import { k8sCapabilitiesDropped } from './rules/k8s-capabilities-dropped';
import { k8sNoHostAccess } from './rules/k8s-no-host-access';
import { k8sNoPrivilegeEscalation } from './rules/k8s-no-privilege-escalation';
import { k8sReadOnlyRootFilesystem } from './rules/k8s-read-only-root-filesystem';
import { k8sResourceLimits } from './rules/k8s-resource-limits';
import { k8sRunAsNonRoot } from './rules/k8s-run-as-non-root';
import { secCrossSiteEncrypted } from './rules/sec-cross-site-encrypted';
import { secNoPlaintextSecrets } from './rules/sec-no-plaintext-secrets';
import { secNoSecretDataInState } from './rules/sec-no-secret-data-in-state';
import { secNoSecretValues } from './rules/sec-no-secret-values';
import { symABSymmetry } from './rules/sym-ab-symmetry';
import { zoneGatewayOnly } from './rules/zone-gateway-only';
import { zoneSeparated } from './rules/zone-separated';

export const K8S_PACK: readonly ResourceRule[] = [
  k8sRunAsNonRoot,
  k8sNoPrivilegeEscalation,
  k8sCapabilitiesDropped,
  k8sResourceLimits,
  k8sNoHostAccess,
  k8sReadOnlyRootFilesystem,
  k8sPodSecurityRestricted,
];
export const SEC_PACK: readonly ResourceRule[] = [secNoPlaintextSecrets, secNoSecretValues, secNoSecretDataInState, secCrossSiteEncrypted];

/** Resource rules for a province whose platform DNS zone is `<env>.<dnsDomain>`. */
export function resourceRules(platformDomains: readonly string[]): readonly ResourceRule[] {
  return [...K8S_PACK, ...SEC_PACK, hsafNoIpInConfig, hsafMiddlewareByName(platformDomains)];
}

export const PROVINCE_RULES: readonly ProvinceRule[] = [hsafSessionCacheSeparate, zoneSeparated, zoneGatewayOnly, symABSymmetry, gbt20988Level];
