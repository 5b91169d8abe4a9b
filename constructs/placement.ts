import type { Site, Zone } from '../model/topology';
import type { ChartSource } from './middleware/chart-source';

/** Where a construct runs: one security zone of one datacenter. Shared by every construct's props. */
export interface SitePlacement {
  /** The security zone (`public` 公共服务区, `core` 核心业务区); named in the annotations the checks and the runbook read. */
  readonly zone: Zone;
  /** The datacenter (A or B) this construct runs in. */
  readonly site: Site;
}

/** Where a Helm-deployed component runs and what it pulls: its placement, namespace and the province's mirrors. */
export interface ReleasePlacement extends SitePlacement {
  /** Kubernetes namespace of the release and of the objects the construct writes (a reference to the namespace resource where one exists, so Terraform creates that first). */
  readonly namespace: string;
  /** The province's chart repository and image mirror. */
  readonly source: ChartSource;
}
