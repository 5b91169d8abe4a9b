/**
 * The facts the DR level counts, proven from what each stack builds: the Velero release's storage
 * location and schedule, the database backup job's spec, the standby's replication configuration, the
 * applications' Deployments, the load balancer's and DNS controller's releases. An annotation only
 * points at a resource (which one is the backup, which the standby); it is never believed for what the
 * resource does, so an annotation that says more than the resource does changes nothing.
 */
import { DR_PAIRED_MIDDLEWARE, type MiddlewareRole } from '../model/catalog';
import { ipv4InCidr } from '../model/ip-literal';
import { databaseProductName } from '../pairs/database/database-plan';
import type { DeploymentUnit, ProvinceModel } from '../model/platform-model';
import { SITES, type Site, type Zone } from '../model/topology';
import { ANNOTATION_KEY, type HsaAnnotation } from '../synthesized/annotations';
import { platformZoneName } from '../model/dns-zone';
import { arr, hostOf, obj, releaseValues, resolveName, str, type StandbyProof } from '../synthesized/read';
import { cloudNativePgStandbyProof } from '../pairs/database/database-facts';
import { fastdfsStandbyProof } from '../pairs/fastdfs/fastdfs-facts';
import { kafkaStandbyProof } from '../pairs/kafka/kafka-facts';
import { redisRpoBound, redisStandbyProof } from '../pairs/redis/redis-facts';
import type { JsonObject, StackJson } from './types';

export interface DrPairFact {
  readonly zone: Zone;
  readonly role: MiddlewareRole;
  /** Synchronous only where the built resource makes it so (a synchronous CloudNativePG standby). */
  readonly replication: 'asynchronous' | 'synchronous';
  /** The active site's address the built configuration replicates from. */
  readonly source: string;
  /** Where the built configuration says so. */
  readonly proof: string;
  /**
   * The most of the old site's acknowledged writes a site loss can leave missing, as the active site's
   * built configuration bounds it: `maxLagSeconds` where the primary refuses writes beyond that lag,
   * absent where nothing bounds it (asynchronous).
   */
  readonly rpoBound?: { readonly maxLagSeconds: number; readonly proof: string };
}

/** A standby the annotations name whose built configuration does not replicate from the active site. */
export interface UnprovenPair {
  readonly zone: Zone;
  readonly role: MiddlewareRole;
  readonly stack: string;
  readonly reason: string;
}

/** Facts read off a province's synthesized stacks, for the DR level. */
export interface DrFacts {
  /** Data-holding middleware each zone runs, which must be paired. */
  readonly requiredPairs: readonly { readonly zone: Zone; readonly role: MiddlewareRole }[];
  /** Pairs whose standby's built configuration replicates from the active site's declared address. */
  readonly pairs: readonly DrPairFact[];
  readonly unprovenPairs: readonly UnprovenPair[];
  readonly activeApplications: number;
  readonly standbyApplications: number;
  readonly missingAtStandby: readonly string[];
  /** Units whose DNS controller release serves the zone at the unit's DNS VIP. */
  readonly unitsWithDnsController: number;
  /** Units whose load balancer release listens at the unit's ingress VIP with a rule for every application. */
  readonly unitsWithLoadBalancer: number;
  /** Application groups of the built load balancers with a standby (`backup`) member: `<stack>/<group>`. */
  readonly standbyGroups: readonly string[];
  /** The backups each stack builds (its Velero release), and the stacks that build none. */
  readonly backups: readonly BackupFact[];
  readonly stacksWithoutBackup: readonly string[];
  /** The business database's backup jobs each stack builds, and the stacks whose zone uses a declared database but build none. */
  readonly databaseBackups: readonly DatabaseBackupFact[];
  readonly databasesWithoutBackup: readonly { readonly stack: string; readonly product: string }[];
}

export interface DatabaseBackupFact {
  readonly stack: string;
  readonly product: string;
  /** The CronJob's own schedule. */
  readonly schedule: string;
  /** The namespace the CronJob runs in (its volume lives there). */
  readonly namespace: string;
}

/** One stack's Velero backup, as its release's values configure it. */
export interface BackupFact {
  readonly stack: string;
  readonly site: Site;
  /** The schedules' cron expressions. */
  readonly schedules: readonly string[];
  readonly retentionDays: number | undefined;
  /** `<s3Url>/<bucket>/<prefix>` of the storage location the schedules write to. */
  readonly target: string;
  /** The store's address (the s3Url's host). */
  readonly storeAddress: string;
  /** The datacenter whose declared networks hold the store's address; undefined when none does or none are declared. */
  readonly storeSite: Site | undefined;
  /** Namespaces the schedules include. */
  readonly namespaces: readonly string[];
}

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


function releasesOf(stack: StackJson, chart: string): JsonObject[] {
  return Object.values(stack.resource?.helm_release ?? {}).filter((r) => r.chart === chart);
}


function siteOfAddress(model: ProvinceModel, address: string): Site | undefined {
  const networks = model.siteNetworks;
  if (!networks) return undefined;
  return SITES.find((site) => networks[site].some((n) => /^\d+\.\d+\.\d+\.\d+$/.test(address) && ipv4InCidr(address, n)));
}

function backupOf(model: ProvinceModel, unit: DeploymentUnit, stack: StackJson): BackupFact | undefined {
  const [velero] = releasesOf(stack, 'velero');
  if (!velero) return undefined;
  const values = releaseValues(velero);
  const schedules = Object.values(obj(values.schedules)).map(obj).filter((s) => s.disabled !== true);
  const locations = arr(obj(values.configuration).backupStorageLocation).map(obj);
  const used = new Set(schedules.map((s) => str(obj(s.template).storageLocation)).filter((n): n is string => n !== undefined));
  const location = locations.find((l) => used.has(String(l.name))) ?? locations.find((l) => l.default === true);
  if (!location || schedules.length === 0) return undefined;
  const s3Url = str(obj(location.config).s3Url) ?? '';
  let storeAddress = '';
  try {
    storeAddress = new URL(s3Url).hostname;
  } catch {
    storeAddress = s3Url;
  }
  const ttls = schedules.map((s) => /^(\d+)h/.exec(str(obj(s.template).ttl) ?? '')).filter((m): m is RegExpExecArray => m !== null);
  return {
    stack: unit.stackName,
    site: unit.site,
    schedules: schedules.map((s) => str(s.schedule) ?? ''),
    retentionDays: ttls.length > 0 ? Math.min(...ttls.map((m) => Number(m[1]) / 24)) : undefined,
    target: `${s3Url}/${String(location.bucket)}/${String(location.prefix)}`,
    storeAddress,
    storeSite: siteOfAddress(model, storeAddress),
    namespaces: [...new Set(schedules.flatMap((s) => arr(obj(s.template).includedNamespaces).map(String)))],
  };
}


/**
 * Whether the standby's built configuration replicates from `source` (the active site's declared address
 * for the role), and where it says so; the reason otherwise.
 */
function replicationProof(role: MiddlewareRole, body: JsonObject, stack: StackJson, source: string): StandbyProof {
  const host = hostOf(source);
  // Each kind reads its own built configuration (pairs/<kind>/<kind>-facts.ts).
  switch (role) {
    case 'redis-cache':
    case 'redis-session':
      return redisStandbyProof(body, host);
    case 'kafka':
      return kafkaStandbyProof(stack, host);
    case 'database':
      return cloudNativePgStandbyProof(body, host);
    case 'fastdfs':
      return fastdfsStandbyProof(body, stack, host);
    default:
      return { reason: `the toolkit knows no way to prove a ${role} standby` };
  }
}

/**
 * The RPO bound the active site's built primary enforces, if any: Redis `min-replicas-to-write` (at
 * least the local replicas plus one: the other site's server counts) with `min-replicas-max-lag`.
 */
function rpoBoundOf(role: MiddlewareRole, activeStack: StackJson | undefined): DrPairFact['rpoBound'] {
  if (!activeStack || (role !== 'redis-cache' && role !== 'redis-session')) return undefined;
  const primary = annotationsOf(activeStack).find((a) => a.annotation.component === 'dr-pair' && a.annotation.role === role && a.annotation.mode === 'primary');
  return primary ? redisRpoBound(primary.body) : undefined;
}

export function detectDrFacts(model: ProvinceModel, stacks: ReadonlyMap<string, StackJson>): DrFacts {
  const requiredPairs = model.units
    .filter((u) => u.active)
    .flatMap((u) => u.middleware.filter((role) => DR_PAIRED_MIDDLEWARE.includes(role)).map((role) => ({ zone: u.zone, role })));
  const pairs: DrPairFact[] = [];
  const unprovenPairs: UnprovenPair[] = [];
  let unitsWithDnsController = 0;
  let unitsWithLoadBalancer = 0;
  const standbyGroups: string[] = [];
  const appsBySite = { active: new Set<string>(), standby: new Set<string>() };
  const backups: BackupFact[] = [];
  const stacksWithoutBackup: string[] = [];
  const databaseBackups: DatabaseBackupFact[] = [];
  const databasesWithoutBackup: { stack: string; product: string }[] = [];
  for (const unit of model.units) {
    const stack = stacks.get(unit.stackName);
    if (!stack) continue;
    const annotated = annotationsOf(stack);

    const backup = backupOf(model, unit, stack);
    if (backup) backups.push(backup);
    else stacksWithoutBackup.push(unit.stackName);

    const databaseJob = annotated.find((a) => a.annotation.component === 'database-backup' && a.type.startsWith('kubernetes_cron_job'));
    if (databaseJob?.annotation.component === 'database-backup') {
      const spec = obj(databaseJob.body.spec);
      databaseBackups.push({ stack: unit.stackName, product: databaseJob.annotation.product, schedule: str(spec.schedule) ?? '', namespace: resolveName(stack, obj(databaseJob.body.metadata).namespace) ?? '' });
    } else if (unit.middlewarePlan.database) {
      databasesWithoutBackup.push({ stack: unit.stackName, product: databaseProductName(unit.middlewarePlan.database.product) });
    }

    const [dns] = releasesOf(stack, 'coredns').map(releaseValues).filter((v) => obj(v.service).loadBalancerIP === unit.dnsVip);
    if (dns && arr(dns.zoneFiles).some((f) => obj(f).domain === platformZoneName(model, unit.zone))) unitsWithDnsController++;

    const [loadBalancer] = releasesOf(stack, 'nginx').map(releaseValues).filter((v) => obj(v.service).loadBalancerIP === unit.ingressVip);
    const serverBlock = str(loadBalancer?.serverBlock) ?? '';
    if (loadBalancer && unit.applications.every((app) => serverBlock.includes(`location /${app.name}/ {`))) unitsWithLoadBalancer++;
    for (const app of unit.applications) {
      const upstream = new RegExp(`^upstream ${app.name} \\{\\n([^}]*)\\}`, 'm').exec(serverBlock);
      if (upstream && /\sbackup\s/.test(upstream[1]!)) standbyGroups.push(`${unit.stackName}/${app.name}`);
    }

    if (!unit.active) {
      const active = model.units.find((u) => u.zone === unit.zone && u.active)!;
      for (const { annotation, body } of annotated) {
        if (annotation.component !== 'dr-pair' || annotation.mode !== 'standby') continue;
        if (pairs.some((p) => p.zone === annotation.zone && p.role === annotation.role)) continue;
        const declared = active.middlewareVips[annotation.role];
        if (!declared) {
          unprovenPairs.push({ zone: unit.zone, role: annotation.role, stack: unit.stackName, reason: `the active site declares no address for ${annotation.role}` });
          continue;
        }
        const proven = replicationProof(annotation.role, body, stack, declared);
        if ('reason' in proven) unprovenPairs.push({ zone: unit.zone, role: annotation.role, stack: unit.stackName, reason: proven.reason });
        else {
          const bound = rpoBoundOf(annotation.role, stacks.get(active.stackName));
          pairs.push({ zone: unit.zone, role: annotation.role, replication: proven.synchronous ? 'synchronous' : 'asynchronous', source: declared, proof: proven.proof, ...(bound ? { rpoBound: bound } : {}) });
        }
      }
    }

    // The applications the model places here, found by name and namespace among the built Deployments.
    const running = new Set<string>();
    for (const body of Object.values(stack.resource?.kubernetes_deployment_v1 ?? {})) {
      const metadata = obj(body.metadata);
      const replicas = Number(obj(body.spec).replicas ?? 1);
      if (replicas > 0) running.add(`${resolveName(stack, metadata.namespace) ?? ''}/${String(metadata.name)}`);
    }
    for (const app of unit.applications) {
      if (running.has(`${app.namespace}/${app.name}`)) appsBySite[unit.active ? 'active' : 'standby'].add(`${unit.zone}/${app.name}`);
    }
  }
  const allApps = model.units.filter((u) => u.active).flatMap((u) => u.applications.map((a) => `${u.zone}/${a.name}`));
  const missingAtStandby = allApps.filter((a) => !appsBySite.standby.has(a)).sort();
  return {
    requiredPairs,
    pairs,
    unprovenPairs,
    activeApplications: appsBySite.active.size,
    standbyApplications: appsBySite.standby.size,
    missingAtStandby,
    unitsWithDnsController,
    unitsWithLoadBalancer,
    standbyGroups,
    backups,
    stacksWithoutBackup,
    databaseBackups,
    databasesWithoutBackup,
  };
}
