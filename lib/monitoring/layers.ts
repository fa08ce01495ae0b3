/**
 * Every monitored service, in the order a request travels (the dashboard's rows and the
 * docs' table follow it). The alarm catalog, the dashboard layout and the CDK facade are
 * built from this list and nothing else.
 *
 * Exhaustive by type: the object must have exactly one entry per `Layer`, each with its own
 * layer, so adding a layer without its service (or the reverse) does not compile; a test
 * checks that every service folder's monitoring is listed and contributes.
 */
import { Layer } from './alarms/alarm-definition';
import { apiMonitoring } from './api/api-monitoring';
import { dynamodbMonitoring } from './dynamodb/dynamodb-monitoring';
import { inferenceMonitoring } from './inference/inference-monitoring';
import { lambdaMonitoring } from './lambda/lambda-monitoring';
import { sagemakerMonitoring } from './sagemaker/sagemaker-monitoring';
import { ServiceMonitoring } from './service-monitoring';

/** One service per layer, each under its own layer. */
export type ServiceMonitoringByLayer = { readonly [L in Layer]: ServiceMonitoring<L> };

export const SERVICE_MONITORING = {
  'API Gateway': apiMonitoring,
  Lambda: lambdaMonitoring,
  SageMaker: sagemakerMonitoring,
  DynamoDB: dynamodbMonitoring,
  Inference: inferenceMonitoring,
} as const satisfies ServiceMonitoringByLayer;

/** The services in order (string keys keep their insertion order). */
export const MONITORED_SERVICES: readonly ServiceMonitoring[] = Object.values(SERVICE_MONITORING);
