import * as logs from 'aws-cdk-lib/aws-logs';

/** The retention periods CloudWatch Logs accepts, by their number of days. */
const BY_DAYS: ReadonlyMap<number, logs.RetentionDays> = new Map(
  Object.values(logs.RetentionDays)
    .filter((v): v is logs.RetentionDays => typeof v === 'number')
    .map((v) => [v as number, v]),
);

/**
 * The `RetentionDays` of a number of days, checked instead of cast: config validation already
 * refuses any other value (`logRetentionDays`), so a miss here is a programming error.
 */
export function retentionDays(days: number): logs.RetentionDays {
  const retention = BY_DAYS.get(days);
  if (retention === undefined) throw new Error(`${days} days is not a CloudWatch Logs retention period`);
  return retention;
}
