/**
 * The business monitoring (业务实时监控) of one unit, planned from the applications' declared settlement
 * events: beside each such application a collector (the OpenTelemetry Collector) reads its event file as
 * it is written, remembering how far it got (checkpoints) and holding what it has not delivered (a
 * persistent queue), and sends every event to the site's figures service (business/figures-server.ts),
 * which counts each one once and serves the figures to Prometheus and as JSON.
 */
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { onePipelineService, retryingOtlpExporter } from '../model/collector-config';
import type { ApplicationModel } from '../model/platform-model';
import { PLATFORM_NAMESPACES } from '../model/topology';
import type { FiguresConfig } from './figures-server';

export const BUSINESS_NAMESPACE = PLATFORM_NAMESPACES.business;
/** The figures service: its Service name and port (OTLP/HTTP in, `/metrics` and `/api/figures` out). */
export const FIGURES_SERVICE = 'hsa-figures';
export const FIGURES_PORT = 4318;
/** Days of journals the figures service keeps and reads back. */
export const FIGURES_RETAIN_DAYS = 40;
/** Where the collector keeps its checkpoints and its queue, in its pod. */
export const COLLECTOR_STORAGE_DIR = '/var/lib/hsa-otelcol';
export const COLLECTOR_CONFIG_DIR = '/etc/hsa-otelcol';
/**
 * The attribute naming the application on every event. The figures service reads the same name
 * (business/figures-server.ts keeps its own copy: it is deployed as one file that imports nothing).
 */
export const APPLICATION_ATTRIBUTE = 'hsa.application';

/** One application's part: where its events are and the collector configuration beside it. */
export interface BusinessApplicationPipeline {
  readonly application: string;
  readonly namespace: string;
  /** The directory the application and the collector share (the event file's). */
  readonly eventDirectory: string;
  /** The collector's configuration (YAML). */
  readonly collectorConfig: string;
}

export interface BusinessPlan {
  readonly namespace: string;
  readonly figuresConfig: FiguresConfig;
  readonly applications: readonly BusinessApplicationPipeline[];
}

/**
 * The collector's configuration for one application: read the event file and its renamed predecessors
 * (`<file>.1`...) from the beginning, parse each line as JSON, name the application, and send to the
 * figures service, retrying for ever. The checkpoints (how far each file was read) and the queue live in
 * the file_storage directory, so a restart neither skips nor loses a line; a line sent twice is counted
 * once by the figures service.
 */
export function collectorConfig(application: string, eventFile: string, endpoint: string, storageDirectory: string): string {
  return stringify(
    {
      extensions: { file_storage: { directory: storageDirectory } },
      receivers: {
        file_log: {
          include: [eventFile, `${eventFile}.*`],
          start_at: 'beginning',
          storage: 'file_storage',
          attributes: { [APPLICATION_ATTRIBUTE]: application },
          // A line that is not JSON is still sent, without fields: the figures service counts it as rejected.
          operators: [{ type: 'json_parser', on_error: 'send_quiet' }],
        },
      },
      exporters: { otlp_http: retryingOtlpExporter(endpoint, { encoding: 'json' }) },
      service: onePipelineService('file_log', 'otlp_http'),
    },
    { lineWidth: 0 },
  );
}

export function planUnitBusiness(applications: readonly Pick<ApplicationModel, 'name' | 'namespace' | 'businessEvents'>[]): BusinessPlan | undefined {
  const declared = applications.filter((app) => app.businessEvents).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (declared.length === 0) return undefined;
  const endpoint = `http://${FIGURES_SERVICE}.${BUSINESS_NAMESPACE}.svc:${FIGURES_PORT}`;
  return {
    namespace: BUSINESS_NAMESPACE,
    figuresConfig: {
      applications: Object.fromEntries(
        declared.map((app) => [app.name, { fields: app.businessEvents!.fields, types: app.businessEvents!.types, byInstitution: (app.businessEvents!.groupBy ?? ['institution']).includes('institution') }]),
      ),
      retainDays: FIGURES_RETAIN_DAYS,
    },
    applications: declared.map((app) => ({
      application: app.name,
      namespace: app.namespace,
      eventDirectory: dirname(app.businessEvents!.file),
      collectorConfig: collectorConfig(app.name, app.businessEvents!.file, endpoint, COLLECTOR_STORAGE_DIR),
    })),
  };
}
