/**
 * API Gateway (REST) metrics of the API's stage. 5XXError and 4XXError are 0 or 1 per
 * request, so their Average is an error rate; Count's Sum is the request count.
 */
import { MetricRef, metric, withStat } from '../metric-ref';

export const API_NAMESPACE = 'AWS/ApiGateway';

export const apiMetrics = {
  requests: (): MetricRef => metric('api', 'Count', 'Sum', 'Requests', 'count'),
  serverErrorRate: (): MetricRef => metric('api', '5XXError', 'Average', '5XX rate', 'ratio'),
  clientErrorRate: (): MetricRef => metric('api', '4XXError', 'Average', '4XX rate', 'ratio'),
  serverErrors: (): MetricRef => metric('api', '5XXError', 'Sum', '5XX', 'count'),
  clientErrors: (): MetricRef => metric('api', '4XXError', 'Sum', '4XX', 'count'),
  latency: (stat: string): MetricRef => withStat(metric('api', 'Latency', stat, 'Latency', 'ms'), stat),
  integrationLatency: (stat: string): MetricRef => withStat(metric('api', 'IntegrationLatency', stat, 'Integration latency', 'ms'), stat),
};
