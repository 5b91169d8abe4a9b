import { DR_PAIRED_MIDDLEWARE, type MiddlewareRole } from '../model/catalog';
import { databaseProductName } from '../model/middleware-model';
import type { ProvinceModel } from '../model/platform-model';
import type { Zone } from '../model/topology';
import { ANNOTATION_KEY, type HsaAnnotation } from '../synthesized/annotations';
import type { JsonObject, StackJson } from './types';

export interface DrPairFact {
  readonly zone: Zone;
  readonly role: MiddlewareRole;
  readonly replication: 'asynchronous' | 'synchronous';
  readonly source?: string;
}

/** Facts read off a province's synthesized stacks (annotations and workloads), for the DR level. */
export interface DrFacts {
  /** Data-holding middleware each zone runs, which must be paired. */
  readonly requiredPairs: readonly { readonly zone: Zone; readonly role: MiddlewareRole }[];
  /** Pairs whose standby side replicates from the active site. */
  readonly pairs: readonly DrPairFact[];
  readonly activeApplications: number;
  readonly standbyApplications: number;
  readonly missingAtStandby: readonly string[];
  readonly unitsWithDnsController: number;
  readonly unitsWithLoadBalancer: number;
  /** Every application is served from both sites at once (query/compute types only). */
  readonly bothSitesServe: boolean;
  /** The backups each stack builds (its `backup` annotation), and the stacks that build none. */
  readonly backups: readonly BackupFact[];
  readonly stacksWithoutBackup: readonly string[];
  /**
   * The business database's backup jobs each stack builds (its `database-backup` annotations), and the
   * stacks whose zone uses a declared business database but build none for it.
   */
  readonly databaseBackups: readonly DatabaseBackupFact[];
  readonly databasesWithoutBackup: readonly { readonly stack: string; readonly product: string }[];
}

export type DatabaseBackupFact = Omit<Extract<HsaAnnotation, { component: 'database-backup' }>, 'component'> & { readonly stack: string };

/** A stack's `backup` annotation, with the stack it was read from. */
export type BackupFact = Omit<Extract<HsaAnnotation, { component: 'backup' }>, 'component'> & { readonly stack: string };

export function annotationsOf(stack: StackJson): { annotation: HsaAnnotation; type: string; name: string; body: JsonObject }[] {
  const found: { annotation: HsaAnnotation; type: string; name: string; body: JsonObject }[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const comment = body['//'];
      if (comment && typeof comment === 'object' && !Array.isArray(comment) && comment[ANNOTATION_KEY]) {
        found.push({ annotation: comment[ANNOTATION_KEY] as unknown as HsaAnnotation, type, name, body });
      }
    }
  }
  return found;
}

export function detectDrFacts(model: ProvinceModel, stacks: ReadonlyMap<string, StackJson>): DrFacts {
  const requiredPairs = model.units
    .filter((u) => u.active)
    .flatMap((u) => u.middleware.filter((role) => DR_PAIRED_MIDDLEWARE.includes(role)).map((role) => ({ zone: u.zone, role })));
  const pairs: DrPairFact[] = [];
  let unitsWithDnsController = 0;
  let unitsWithLoadBalancer = 0;
  const appsBySite = { active: new Set<string>(), standby: new Set<string>() };
  const backups: BackupFact[] = [];
  const stacksWithoutBackup: string[] = [];
  const databaseBackups: DatabaseBackupFact[] = [];
  const databasesWithoutBackup: { stack: string; product: string }[] = [];
  for (const unit of model.units) {
    const stack = stacks.get(unit.stackName);
    if (!stack) continue;
    const annotations = annotationsOf(stack).map((a) => a.annotation);
    const backup = annotations.find((a) => a.component === 'backup');
    if (backup?.component === 'backup') {
      const { component: _component, ...fact } = backup;
      backups.push({ ...fact, stack: unit.stackName });
    } else {
      stacksWithoutBackup.push(unit.stackName);
    }
    const databaseBackup = annotations.find((a) => a.component === 'database-backup');
    if (databaseBackup?.component === 'database-backup') {
      const { component: _component, ...fact } = databaseBackup;
      databaseBackups.push({ ...fact, stack: unit.stackName });
    } else if (unit.middlewarePlan.database) {
      databasesWithoutBackup.push({ stack: unit.stackName, product: databaseProductName(unit.middlewarePlan.database.product) });
    }
    if (annotations.some((a) => a.component === 'dns-controller')) unitsWithDnsController++;
    if (annotations.some((a) => a.component === 'site-load-balancer')) unitsWithLoadBalancer++;
    if (!unit.active) {
      for (const a of annotations) {
        if (a.component === 'dr-pair' && a.mode === 'standby' && !pairs.some((p) => p.zone === a.zone && p.role === a.role)) {
          pairs.push({ zone: a.zone, role: a.role, replication: a.replication, ...(a.source ? { source: a.source } : {}) });
        }
      }
    }
    for (const body of Object.values(stack.resource?.kubernetes_deployment_v1 ?? {})) {
      const labels = (body.metadata as JsonObject | undefined)?.labels as JsonObject | undefined;
      if (labels?.['app.kubernetes.io/part-of'] !== 'hsa-platform') continue;
      const replicas = Number((body.spec as JsonObject | undefined)?.replicas ?? 1);
      if (replicas > 0) appsBySite[unit.active ? 'active' : 'standby'].add(`${unit.zone}/${String((body.metadata as JsonObject).name)}`);
    }
  }
  const missingAtStandby = [...appsBySite.active].filter((a) => !appsBySite.standby.has(a)).sort();
  const bothSitesServe = model.units.every((u) => u.applications.every((a) => a.catalog.systemType === 'query' || a.catalog.systemType === 'compute'));
  return {
    requiredPairs,
    pairs,
    activeApplications: appsBySite.active.size,
    standbyApplications: appsBySite.standby.size,
    missingAtStandby,
    unitsWithDnsController,
    unitsWithLoadBalancer,
    bothSitesServe,
    backups,
    stacksWithoutBackup,
    databaseBackups,
    databasesWithoutBackup,
  };
}
