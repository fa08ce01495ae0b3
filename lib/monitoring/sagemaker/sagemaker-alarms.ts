/**
 * The endpoint's alarms: invocation errors and latencies (AWS/SageMaker, per variant), the
 * instances' utilisation (instance capacity only), and the container's own ERROR lines.
 */
import { StageConfig } from '../../config/stage-config';
import { AlarmDefinition } from '../alarms/alarm-definition';
import { alarmBuilders } from '../alarms/alarm-builders';
import { handlerMetrics } from '../inference/inference-metrics';
import { endpointMetrics, instanceMetrics, vcpusOf } from './sagemaker-metrics';

const alarm = alarmBuilders('SageMaker');

export function sagemakerAlarms(config: StageConfig): AlarmDefinition[] {
  const capacity = config.endpoint.capacity;
  const instance = capacity.mode === 'instance';
  const onInstances = 'endpoint.capacity.mode=instance (serverless endpoints publish no instance metrics)';
  return [
    alarm.errorRate({
      id: 'EndpointErrorRate',
      title: 'Endpoint 5XX error rate',
      severity: 'Critical',
      signal: endpointMetrics.serverErrorRate(),
      gate: endpointMetrics.invocations(),
      breaching: { datapoints: 2, of: 3 },
      meaning: 'More than 5% of endpoint invocations failed with a 5XX in 2 of 3 minutes: the model or its container is failing.',
      firstAction:
        'Read the endpoint log group /aws/sagemaker/Endpoints/<endpoint> for ERROR lines; if a deployment is in progress it rolls back on this signal.',
    }),
    alarm.errorRate({
      id: 'EndpointClientErrorRate',
      title: 'Endpoint 4XX error rate',
      severity: 'Warning',
      signal: endpointMetrics.clientErrorRate(),
      gate: endpointMetrics.invocations(),
      breaching: { datapoints: 5, of: 5 },
      meaning:
        'More than 5% of endpoint invocations were refused with a 4XX for 5 minutes: the handler and the model disagree on the input.',
      firstAction:
        'Compare model.featureCount and model.contentType with what the deployed model expects; read the container log for the refusals.',
    }),
    alarm.latency({
      id: 'EndpointModelLatencyP99',
      title: 'Endpoint model latency p99',
      severity: 'Warning',
      signal: endpointMetrics.modelLatency('p99'),
      gate: endpointMetrics.invocations(),
      threshold: 2_000_000,
      breaching: { datapoints: 2, of: 3 },
      meaning:
        'The slowest 1% of predictions took the model longer than the threshold (ModelLatency is in microseconds) in 2 of 3 minutes.',
      firstAction:
        "Check the instances' CPU and memory (instance capacity) or the concurrency (serverless); compare with the previous model version's latency.",
    }),
    alarm.latency({
      id: 'EndpointOverheadLatencyP99',
      title: 'Endpoint overhead latency p99',
      severity: 'Warning',
      signal: endpointMetrics.overheadLatency('p99'),
      gate: endpointMetrics.invocations(),
      // Serverless overhead includes the cold start of a worker.
      threshold: instance ? 200_000 : 3_000_000,
      breaching: { datapoints: 3, of: 5 },
      meaning:
        "SageMaker's own overhead around the model (routing, payload, serverless cold starts) exceeded the threshold for the slowest 1% of invocations in 3 of 5 minutes.",
      firstAction: 'Serverless: raise provisioned concurrency; instance: check payload sizes and the instance count against the traffic.',
    }),
    alarm.utilisation({
      id: 'EndpointCpuUtilization',
      title: 'Endpoint CPU utilisation',
      severity: 'Warning',
      signal: instanceMetrics.cpuOfCapacity(instance ? vcpusOf(capacity.instanceType) : 1),
      threshold: 80,
      applies: instance,
      appliesWhen: onInstances,
      meaning: "The endpoint's instances used more than 80% of all their vCPUs (CPUUtilization divided by the vCPU count) for 15 minutes.",
      firstAction: 'Check that autoscaling is not at maxInstanceCount; raise it or choose a larger instance type.',
    }),
    alarm.utilisation({
      id: 'EndpointMemoryUtilization',
      title: 'Endpoint memory utilisation',
      severity: 'Warning',
      signal: instanceMetrics.memory(),
      threshold: 85,
      applies: instance,
      appliesWhen: onInstances,
      meaning: "The endpoint's instances used more than 85% of their memory for 15 minutes: the container may be killed.",
      firstAction: 'Look for a memory leak in the container (memory rising with traffic flat); choose an instance type with more memory.',
    }),
    alarm.utilisation({
      id: 'EndpointDiskUtilization',
      title: 'Endpoint disk utilisation',
      severity: 'Warning',
      signal: instanceMetrics.disk(),
      threshold: 80,
      applies: instance,
      appliesWhen: onInstances,
      meaning: "The endpoint's instances used more than 80% of their disk for 15 minutes.",
      firstAction: 'Check what the container writes to disk (logs, temporary files); the model artifact itself does not grow.',
    }),
    alarm.count({
      id: 'EndpointContainerErrors',
      title: 'Model container errors',
      severity: 'Warning',
      signal: handlerMetrics.containerErrors(),
      periodSec: 300,
      breaching: { datapoints: 1, of: 1 },
      meaning: 'The model container logged ERROR lines (a refused or failed invocation).',
      firstAction:
        'Read the ERROR lines of /aws/sagemaker/Endpoints/<endpoint>: their status and error fields say whether the input or the model is at fault.',
    }),
  ];
}
