import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * The `RetentionDays` member for a number of days, found by value instead of cast, so a
 * period CloudWatch Logs does not offer fails here rather than at deploy.
 */
export function retentionDays(days: number): logs.RetentionDays {
  const member = Object.values(logs.RetentionDays).find((v): v is logs.RetentionDays => typeof v === 'number' && v === days);
  if (member === undefined) throw new Error(`${days} days is not a CloudWatch Logs retention period`);
  return member;
}
