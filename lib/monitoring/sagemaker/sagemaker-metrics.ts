/**
 * SageMaker endpoint metrics. In AWS/SageMaker, per variant: invocations, the 0-or-1
 * Invocation4XX/5XXErrors (their Average is a rate), and ModelLatency / OverheadLatency in
 * MICROSECONDS. In /aws/sagemaker/Endpoints, for instance capacity only: CPU (summed over
 * the instance's cores, so up to 100% x vCPUs), memory and disk utilisation.
 * Source: "Amazon SageMaker AI metrics in Amazon CloudWatch",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html (CPUUtilization:
 * "The sum of each individual CPU core's utilization ... if there are four CPUs, the
 * CPUUtilization range is 0%–400%").
 */
import { MathRef, MetricRef, math, metric } from '../metric-ref';

export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
export const SAGEMAKER_INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';

export const endpointMetrics = {
  invocations: (): MetricRef => metric('endpoint', 'Invocations', 'Sum', 'Invocations', 'count'),
  serverErrorRate: (): MetricRef => metric('endpoint', 'Invocation5XXErrors', 'Average', '5XX rate', 'ratio'),
  clientErrorRate: (): MetricRef => metric('endpoint', 'Invocation4XXErrors', 'Average', '4XX rate', 'ratio'),
  serverErrors: (): MetricRef => metric('endpoint', 'Invocation5XXErrors', 'Sum', '5XX', 'count'),
  clientErrors: (): MetricRef => metric('endpoint', 'Invocation4XXErrors', 'Sum', '4XX', 'count'),
  modelLatency: (stat: string): MetricRef => metric('endpoint', 'ModelLatency', stat, `Model latency ${stat}`, 'µs'),
  overheadLatency: (stat: string): MetricRef => metric('endpoint', 'OverheadLatency', stat, `Overhead latency ${stat}`, 'µs'),
};

export const instanceMetrics = {
  /** CPU as a share of all the instance's vCPUs, so 80 means 80% whatever the instance size. */
  cpuOfCapacity: (vcpus: number): MathRef =>
    math(
      `cpu / ${vcpus}`,
      { cpu: metric('endpointInstance', 'CPUUtilization', 'Average', 'CPU (summed over cores)', '%') },
      `CPU % of ${vcpus} vCPUs`,
      '%',
    ),
  memory: (): MetricRef => metric('endpointInstance', 'MemoryUtilization', 'Average', 'Memory %', '%'),
  disk: (): MetricRef => metric('endpointInstance', 'DiskUtilization', 'Average', 'Disk %', '%'),
};

/**
 * vCPUs of a SageMaker instance type, from its size: medium and large have 2, xlarge 4,
 * NxNlarge 4 x N (true of the general, compute and memory families).
 */
export function vcpusOf(instanceType: string): number {
  const size = /\.(medium|large|(\d*)xlarge)$/.exec(instanceType);
  if (!size) throw new Error(`cannot tell the vCPUs of instance type '${instanceType}'`);
  if (size[1] === 'medium' || size[1] === 'large') return 2;
  return 4 * Number(size[2] || 1);
}
