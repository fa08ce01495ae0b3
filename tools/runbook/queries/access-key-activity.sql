-- title: Everything one access key did
-- description: Every call signed with one access key in the window, and the calls that created,
--   changed, deleted or looked up that key: where a leaked key was used from and who issued it.
-- param: accessKeyId (access-key-id) the key to follow (AKIA... or ASIA...)
-- param: startTime (timestamp, default now-7d) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
SELECT
  eventTime,
  CASE WHEN userIdentity.accessKeyId = {{accessKeyId}} THEN 'signed with the key' ELSE 'acted on the key' END AS relation,
  eventSource,
  eventName,
  awsRegion,
  userIdentity.arn AS principalArn,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND (userIdentity.accessKeyId = {{accessKeyId}}
       OR element_at(requestParameters, 'accessKeyId') = {{accessKeyId}}
       OR strpos(coalesce(element_at(responseElements, 'accessKey'), ''), {{accessKeyId}}) > 0)
ORDER BY eventTime, eventID
