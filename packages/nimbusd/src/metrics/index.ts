export { createNimbusMetrics, METRIC_NAMES, type NimbusMetrics, type MetricsOptions, type BmcCallResult, type ApiResult } from './nimbus-metrics.ts';
export {
  MetricsServer,
  DEFAULT_METRICS_HOST,
  DEFAULT_METRICS_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  METRICS_PATH,
  type MetricsServerOptions,
} from './metrics-server.ts';
