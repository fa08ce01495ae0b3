-- title: New user agents per principal
-- description: Clients (SDKs, CLIs, consoles, scripts) a principal used in the window that it
--   never used in the baseline before it: a credential picked up by a different tool, such as
--   an attack framework or a script, rather than the pipeline's own SDK.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: baselineStart (timestamp, default now-30d) start of the baseline, which ends at startTime
SELECT
  w.principal AS principal,
  w.userAgent AS userAgent,
  w.firstSeen AS firstSeen,
  w.lastSeen AS lastSeen,
  w.events AS events
FROM (
  SELECT
    coalesce(userIdentity.arn, userIdentity.principalId, 'unknown') AS principal,
    userAgent,
    min(eventTime) AS firstSeen,
    max(eventTime) AS lastSeen,
    count(*) AS events
  FROM $EDS
  WHERE eventTime >= {{startTime}}
    AND eventTime < {{endTime}}
    AND userAgent IS NOT NULL
    AND coalesce(userIdentity.type, '') <> 'AWSService'
  GROUP BY coalesce(userIdentity.arn, userIdentity.principalId, 'unknown'), userAgent
) w
LEFT JOIN (
  SELECT DISTINCT
    coalesce(userIdentity.arn, userIdentity.principalId, 'unknown') AS principal,
    userAgent
  FROM $EDS
  WHERE eventTime >= {{baselineStart}}
    AND eventTime < {{startTime}}
) b ON w.principal = b.principal AND w.userAgent = b.userAgent
WHERE b.userAgent IS NULL
ORDER BY w.firstSeen, w.principal, w.userAgent
