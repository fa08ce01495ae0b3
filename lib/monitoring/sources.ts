/** The CloudWatch namespace of each metric source (the metric filters' one depends on the stage). */
import { METRICS_NAMESPACE } from '../../contract/handlers';
import { API_NAMESPACE } from './api/api-metrics';
import { DYNAMODB_NAMESPACE } from './dynamodb/dynamodb-metrics';
import { LAMBDA_NAMESPACE } from './lambda/lambda-metrics';
import { MetricSource } from './metric-ref';
import { SAGEMAKER_INSTANCE_NAMESPACE, SAGEMAKER_NAMESPACE } from './sagemaker/sagemaker-metrics';

export function sourceNamespace(source: MetricSource, logMetricsNamespace: string): string {
  switch (source) {
    case 'api':
      return API_NAMESPACE;
    case 'predictFunction':
    case 'readFunction':
      return LAMBDA_NAMESPACE;
    case 'endpoint':
      return SAGEMAKER_NAMESPACE;
    case 'endpointInstance':
      return SAGEMAKER_INSTANCE_NAMESPACE;
    case 'table':
      return DYNAMODB_NAMESPACE;
    case 'logs':
      return logMetricsNamespace;
    case 'emf':
      return METRICS_NAMESPACE;
  }
}
