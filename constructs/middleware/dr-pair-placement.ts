import type { Site, Zone } from '../../model/topology';
import type { ChartSource } from './chart-source';

/** Where one datacenter's half of a DR pair runs: the props every DR pair construct shares. */
export interface DrPairPlacement {
  /** The zone the pair serves (`public` 公共服务区, `core` 核心业务区); named in the annotations the checks and the runbook read. */
  readonly zone: Zone;
  /** The datacenter this half runs in. */
  readonly site: Site;
  /** Kubernetes namespace of the release and of the objects the construct writes. */
  readonly namespace: string;
  /** The province's chart repository and image mirror. */
  readonly source: ChartSource;
  /** lifecycle.prevent_destroy on the objects that hold the pair's data. @default true */
  readonly preventDestroy?: boolean;
}

/** What a DR pair needs beyond its placement: the part of its props that comes from the province's plan. */
export type DrPairSettings<Props extends DrPairPlacement> = Omit<Props, keyof DrPairPlacement>;
