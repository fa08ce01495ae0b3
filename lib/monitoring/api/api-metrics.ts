/**
 * API Gateway (REST) metrics of the API's stage. 5XXError and 4XXError are 0 or 1 per
 * request, so their Average is an error rate; Count's Sum is the request count.
 */
import { MetricRef, metric } from '../metric-ref';

export const API_NAMESPACE = 'AWS/ApiGateway';

export const apiMetrics = {
  requests: (): MetricRef => metric('api', 'Count', 'Sum', 'Requests', 'count'),
  serverErrorRate: (): MetricRef => metric('api', '5XXError', 'Average', '5XX rate', 'ratio'),
  clientErrorRate: (): MetricRef => metric('api', '4XXError', 'Average', '4XX rate', 'ratio'),
  serverErrors: (): MetricRef => metric('api', '5XXError', 'Sum', '5XX', 'count'),
  clientErrors: (): MetricRef => metric('api', '4XXError', 'Sum', '4XX', 'count'),
  latency: (stat: string): MetricRef => metric('api', 'Latency', stat, `Latency ${stat}`, 'ms'),
  integrationLatency: (stat: string): MetricRef => metric('api', 'IntegrationLatency', stat, `Integration latency ${stat}`, 'ms'),
};
