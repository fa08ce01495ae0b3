/**
 * The physical names of what the monitoring watches, read from the stacks that create it.
 *
 * Names, not references: every name in the pipeline is literal, so the monitoring stack
 * never pins a CloudFormation export on the stacks it watches, and either side can be
 * replaced or deleted on its own. The monitoring stack declares its dependencies instead.
 */
import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { StageConfig, resourcePrefix } from '../../config/stage-config';
import type { ApiStack } from '../../stacks/api-stack';
import type { DataStack } from '../../stacks/data-stack';
import type { EndpointStack } from '../../stacks/endpoint-stack';
import { LogSource, logMetricsNamespace } from '../metric-filters';

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

export function targetsFromStacks(config: StageConfig, api: ApiStack, endpoint: EndpointStack, data: DataStack): MonitoringTargets {
  const prefix = resourcePrefix(config);
  const predict = api.predictFunction.function;
  const environment = Stack.of(predict).resolve((predict.node.defaultChild as CfnResource & { environment?: unknown }).environment) as {
    variables?: Record<string, unknown>;
  };
  return {
    prefix,
    apiName: literal(api.api.restApiName, api.api),
    apiStage: literalProperty(api.api.deploymentStage, 'stageName'),
    predictFunctionName: literalProperty(predict, 'functionName'),
    readFunctionName: literalProperty(api.readFunction.function, 'functionName'),
    predictServiceName: literal(String(environment.variables?.POWERTOOLS_SERVICE_NAME ?? ''), predict),
    endpointName: literal(endpoint.modelEndpoint.endpointName, endpoint.modelEndpoint),
    variantName: endpoint.modelEndpoint.variantName,
    tableName: literalProperty(data.table, 'tableName'),
    logGroupNames: {
      predictFunction: literalProperty(api.predictFunction.logGroup, 'logGroupName'),
      readFunction: literalProperty(api.readFunction.logGroup, 'logGroupName'),
      endpoint: literalProperty(endpoint.modelEndpoint.logGroup, 'logGroupName'),
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
