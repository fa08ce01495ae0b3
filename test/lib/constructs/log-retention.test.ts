import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { retentionDays } from '../../../lib/constructs/log-retention';

test('a number of days maps to its RetentionDays member, without a cast; other periods are refused', () => {
  expect(retentionDays(7)).toBe(RetentionDays.ONE_WEEK);
  expect(retentionDays(90)).toBe(RetentionDays.THREE_MONTHS);
  expect(retentionDays(3653)).toBe(RetentionDays.TEN_YEARS);
  expect(() => retentionDays(10)).toThrow('10 days is not a CloudWatch Logs retention period');
});
