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

// Middleware DR pairs (灾备组) and traffic: DNS controller, site load balancer, service gateway
export * from './constructs/middleware/chart-source';
export * from './pairs/placement';
export * from './pairs/redis/redis-construct';
export * from './pairs/kafka/kafka-construct';
export * from './pairs/fastdfs/fastdfs-construct';
export * from './pairs/database/cloudnative-pg-construct';
export * from './constructs/middleware/database-backed-service';
export * from './constructs/middleware/log-service';
export * from './constructs/middleware/middleware-set';
export * from './constructs/traffic/dns-controller';
export * from './constructs/traffic/site-load-balancer';
export * from './constructs/traffic/service-gateway';
export * from './constructs/tenancy/network-policy-set';
export * from './constructs/tenancy/platform-namespace';
export * from './constructs/annotations';
export * from './constructs/suppressions';
export * from './synthesized/json';
export * from './synthesized/suppressions';
export * from './model/middleware-model';
export * from './model/middleware-plan';
export * from './pairs/redis/redis-plan';
export * from './pairs/kafka/kafka-plan';
export * from './pairs/fastdfs/fastdfs-plan';
export * from './pairs/database/database-plan';
export * from './pairs/kind';
export * from './pairs/registry';
// How a project's kind of pair is watched (ProjectPairKind.monitoring), and the toolkit's monitoring constructs.
export type { PairKindMonitoring } from './model/pair-kinds';
export type { AlertContext, AlertRule, AlertRuleGroup, AlertTeam } from './model/alert-rules';
export type { MonitoringSettings, ProbeModule, ProbeTarget, ScrapeJob, ScrapeTarget } from './model/monitoring-plan';
export * from './constructs/observability/site-monitoring';
export * from './constructs/observability/business-figures';
export * from './constructs/observability/log-gateway';
// The switchover's orchestrator: drives every registered kind, a project's own included
export { executeSwitchover, InjectedFault, type Deployer, type SwitchoverOptions, type SwitchoverOutcome, type SwitchoverReport } from './switchover/execute-switchover';
export * from './model/switchover';
export * from './model/dns-zone';
export * from './model/load-balancer';
export * from './model/gateway-config';

// Compliance rule packs
export * from './compliance/types';
export * from './compliance/packs';
export * from './compliance/check-resources';
export * from './compliance/check-province';
export * from './compliance/dr-level';

// L3 pattern and the province model behind it
export * from './constructs/platform/platform-unit';
export * from './model/catalog';
export * from './model/environment-schema';
export * from './model/load-environment';
export * from './model/platform-model';
export * from './stacks/zone-site-stack';
export * from './stacks/province';
export * from './stacks/platform-app';
