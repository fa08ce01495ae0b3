/** CPU utilisation is compared as a share of all the instance's vCPUs, whatever its size. */
import { instanceMetrics, vcpusOf } from '../../../../lib/monitoring/sagemaker/sagemaker-metrics';

test.each([
  ['ml.t2.medium', 2],
  ['ml.m5.large', 2],
  ['ml.c5.xlarge', 4],
  ['ml.m5.2xlarge', 8],
  ['ml.r5.12xlarge', 48],
])('%s has %d vCPUs', (type, vcpus) => {
  expect(vcpusOf(type)).toBe(vcpus);
});

test('an instance type whose size cannot be read is refused rather than guessed', () => {
  expect(() => vcpusOf('ml.inf1.metal')).toThrow("cannot tell the vCPUs of instance type 'ml.inf1.metal'");
});

test('CPUUtilization (summed over cores) is divided by the vCPU count', () => {
  const cpu = instanceMetrics.cpuOfCapacity(4);
  expect(cpu).toMatchObject({ kind: 'math', expression: 'cpu / 4', unit: '%' });
  expect(cpu.using.cpu).toMatchObject({ source: 'endpointInstance', metricName: 'CPUUtilization', stat: 'Average' });
});
