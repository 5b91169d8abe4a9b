/**
 * Public API of the toolkit, for other cdktf projects (another province, another industry).
 * Re-exports only; nothing here depends on environments/.
 */

// Vocabulary: zones, sites, namespaces
export * from './model/topology';

// L2 constructs
export * from './constructs/cluster/cluster-providers';
export * from './constructs/cluster/state-backend';
export * from './constructs/tenancy/tenant-namespace';
export * from './constructs/apps/business-application';

// L3 pattern and the province model behind it
export * from './constructs/platform/platform-unit';
export * from './model/catalog';
export * from './model/environment-schema';
export * from './model/load-environment';
export * from './model/platform-model';
export * from './stacks/zone-site-stack';
export * from './stacks/province';
export * from './stacks/platform-app';
