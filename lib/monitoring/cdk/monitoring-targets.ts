/**
 * The physical names of what the monitoring watches, read from the constructs that create it.
 *
 * Names, not references: every name in the pipeline is literal, so the monitoring stack
 * never pins a CloudFormation export on the stacks it watches, and either side can be
 * replaced or deleted on its own. The monitoring stack declares its dependencies instead.
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { IConstruct } from 'constructs';
import type { ModelEndpoint } from '../../constructs/model-endpoint/model-endpoint';
import type { PipelineFunction } from '../../constructs/pipeline-function';
import { LogSource, logMetricsNamespace } from '../metric-filters';

/** What the monitoring watches; each must carry a literal name (its metrics and log groups are found by name). */
export interface MonitoredResources {
  /** `project-stage`: the alarms' names and the log metrics' namespace start with it. */
  readonly prefix: string;
  readonly restApi: apigateway.IRestApi;
  readonly predictFunction: PipelineFunction;
  readonly readFunction: PipelineFunction;
  readonly endpoint: ModelEndpoint;
  readonly table: dynamodb.ITable;
}

export interface MonitoringTargets {
  readonly prefix: string;
  readonly apiName: string;
  readonly apiStage: string;
  readonly predictFunctionName: string;
  readonly readFunctionName: string;
  /** Powertools' `service` dimension of the prediction function's EMF metrics. */
  readonly predictServiceName: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly tableName: string;
  readonly logGroupNames: Readonly<Record<LogSource, string>>;
  /** Where the metric filters publish. */
  readonly logMetricsNamespace: string;
}

export function monitoringTargets(resources: MonitoredResources): MonitoringTargets {
  const { prefix, restApi, endpoint } = resources;
  const predict = resources.predictFunction.function;
  const environment = Stack.of(predict).resolve((predict.node.defaultChild as CfnResource & { environment?: unknown }).environment) as {
    variables?: Record<string, unknown>;
  };
  return {
    prefix,
    apiName: literal(restApi.restApiName, restApi),
    apiStage: literalProperty(restApi.deploymentStage, 'stageName'),
    predictFunctionName: literalProperty(predict, 'functionName'),
    readFunctionName: literalProperty(resources.readFunction.function, 'functionName'),
    predictServiceName: literal(String(environment.variables?.POWERTOOLS_SERVICE_NAME ?? ''), predict),
    endpointName: literal(endpoint.endpointName, endpoint),
    variantName: endpoint.variantName,
    tableName: literalProperty(resources.table, 'tableName'),
    logGroupNames: {
      predictFunction: literalProperty(resources.predictFunction.logGroup, 'logGroupName'),
      readFunction: literalProperty(resources.readFunction.logGroup, 'logGroupName'),
      endpoint: literalProperty(endpoint.logGroup, 'logGroupName'),
    },
    logMetricsNamespace: logMetricsNamespace(prefix),
  };
}

/** A name set as a literal on the construct's CloudFormation resource (`functionName`, `tableName`...). */
export function literalProperty(construct: IConstruct, property: string): string {
  const resource = construct.node.defaultChild as (CfnResource & Record<string, unknown>) | undefined;
  return literal(resource?.[property] as string | undefined, construct, property);
}

function literal(value: string | undefined, construct: IConstruct, property = 'name'): string {
  if (!value || Token.isUnresolved(value)) {
    throw new Error(`monitoring needs the literal ${property} of ${construct.node.path}; give it a fixed name`);
  }
  return value;
}
