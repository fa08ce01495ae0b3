-- title: New source IP addresses per principal
-- description: Addresses a principal called AWS from in the window that it never used in the
--   baseline before it (baselineStart to startTime): a credential used from somewhere new.
--   Calls made by AWS services on your behalf are left out.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: baselineStart (timestamp, default now-30d) start of the baseline, which ends at startTime
SELECT
  w.principal AS principal,
  w.sourceIPAddress AS sourceIPAddress,
  w.firstSeen AS firstSeen,
  w.lastSeen AS lastSeen,
  w.events AS events
FROM (
  SELECT
    coalesce(userIdentity.arn, userIdentity.principalId, 'unknown') AS principal,
    sourceIPAddress,
    min(eventTime) AS firstSeen,
    max(eventTime) AS lastSeen,
    count(*) AS events
  FROM $EDS
  WHERE eventTime >= {{startTime}}
    AND eventTime < {{endTime}}
    AND sourceIPAddress IS NOT NULL
    AND sourceIPAddress NOT LIKE '%.amazonaws.com'
    AND sourceIPAddress <> 'AWS Internal'
    AND coalesce(userIdentity.type, '') <> 'AWSService'
  GROUP BY coalesce(userIdentity.arn, userIdentity.principalId, 'unknown'), sourceIPAddress
) w
LEFT JOIN (
  SELECT DISTINCT
    coalesce(userIdentity.arn, userIdentity.principalId, 'unknown') AS principal,
    sourceIPAddress
  FROM $EDS
  WHERE eventTime >= {{baselineStart}}
    AND eventTime < {{startTime}}
) b ON w.principal = b.principal AND w.sourceIPAddress = b.sourceIPAddress
WHERE b.sourceIPAddress IS NULL
ORDER BY w.firstSeen, w.principal, w.sourceIPAddress
