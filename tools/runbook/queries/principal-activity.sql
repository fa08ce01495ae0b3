-- title: Everything one principal did
-- description: Every call made by one IAM user or role in the window, in time order, with its
--   parameters. For a role, pass the role ARN to see all its sessions, or one session's
--   assumed-role ARN to follow a single session.
-- param: principalArn (arn) the user, role or assumed-role session to follow
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
SELECT
  eventTime,
  eventSource,
  eventName,
  awsRegion,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  json_format(CAST(requestParameters AS JSON)) AS requestParameters,
  eventID
FROM $EDS
WHERE (userIdentity.arn = {{principalArn}} OR userIdentity.sessionContext.sessionIssuer.arn = {{principalArn}})
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
ORDER BY eventTime, eventID
