import type { ReleasePlacement } from '../constructs/placement';

/** Where one datacenter's half of a DR pair runs: the props every DR pair construct shares. */
export interface DrPairPlacement extends ReleasePlacement {
  /** lifecycle.prevent_destroy on the objects that hold the pair's data. @default true */
  readonly preventDestroy?: boolean;
}

/** What a DR pair needs beyond its placement: the part of its props that comes from the province's plan. */
export type DrPairSettings<Props extends DrPairPlacement> = Omit<Props, keyof DrPairPlacement>;
