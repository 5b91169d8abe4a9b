import type { MiddlewareRole } from '../model/catalog';
import type { Site, Zone } from '../model/topology';

/**
 * What a resource is for, written into its "//" comment block of the synthesized JSON (Terraform ignores
 * it). Compliance rules, the plan review and the diagrams read these facts from the output instead of
 * guessing from chart names, so reviewers and auditors see the same thing the code meant. The constructs
 * write them (`constructs/annotations.ts`); this module is the vocabulary both sides share.
 */
export type HsaAnnotation =
  | {
      readonly component: 'dr-pair';
      readonly role: MiddlewareRole;
      readonly zone: Zone;
      readonly site: Site;
      /** `primary`: takes writes; `standby`: replicates from the active site's address. */
      readonly mode: 'primary' | 'standby';
      readonly replication: 'asynchronous' | 'synchronous';
      /** Address the standby replicates from (`host:port`); absent on the primary. */
      readonly source?: string;
    }
  | { readonly component: 'dns-controller'; readonly zone: Zone; readonly site: Site }
  | { readonly component: 'site-load-balancer'; readonly zone: Zone; readonly site: Site }
  | { readonly component: 'service-gateway'; readonly zone: Zone; readonly site: Site }
  | {
      readonly component: 'backup';
      readonly zone: Zone;
      readonly site: Site;
      /** cron of the full backup. */
      readonly schedule: string;
      readonly retentionDays: number;
      /** The datacenter whose object store holds the backups. */
      readonly storeSite: Site;
      /** `<endpoint>/<bucket>/<prefix>` */
      readonly target: string;
      /** Namespaces backed up (objects and volumes). */
      readonly namespaces: readonly string[];
    }
  | {
      /** The business database's daily backup job at one site, onto a volume of `namespace`. */
      readonly component: 'database-backup';
      readonly zone: Zone;
      readonly site: Site;
      /** "PostgreSQL", or another product's name as its environment declares it. */
      readonly product: string;
      readonly schedule: string;
      readonly namespace: string;
    }
  | {
      /** A site cluster's Prometheus and Alertmanager for one zone. */
      readonly component: 'monitoring';
      readonly zone: Zone;
      readonly site: Site;
      /** Every scraped exporter, `host:port`. */
      readonly targets: readonly string[];
      /** What its rules alert on: DR pairs by `<role>@<zone>`, backups by `<tool>@<zone>-<site>`. */
      readonly alerted: { readonly pairs: readonly string[]; readonly backups: readonly string[] };
    }
  | {
      /** A site's business figures service (业务实时监控) and the applications whose events it counts. */
      readonly component: 'business-figures';
      readonly zone: Zone;
      readonly site: Site;
      readonly applications: readonly string[];
    }
  | {
      /** A site's log gateway and the projects whose applications' logs it writes to the log service. */
      readonly component: 'log-gateway';
      readonly zone: Zone;
      readonly site: Site;
      readonly projects: readonly string[];
    };

/** Key of the annotation inside a resource's "//" block. */
export const ANNOTATION_KEY = 'hsa';
/** Key of the images a helm release pulls, inside its "//" block. */
export const IMAGES_KEY = 'images';
