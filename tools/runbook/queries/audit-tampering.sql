-- title: Attempts to blind the audit record
-- description: Calls that stop, delete or narrow CloudTrail logging (trails and event data
--   stores) or disable, schedule the deletion of, or rewrite the policy of KMS keys: an
--   intruder covering their tracks. Refused attempts are listed too (errorCode set).
-- param: startTime (timestamp, default now-7d) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
SELECT
  eventTime,
  eventSource,
  eventName,
  coalesce(element_at(requestParameters, 'name'), element_at(requestParameters, 'trailName'),
           element_at(requestParameters, 'eventDataStore'), element_at(requestParameters, 'keyId')) AS target,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND ((eventSource = 'cloudtrail.amazonaws.com'
        AND eventName IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors',
                          'DeleteEventDataStore', 'UpdateEventDataStore', 'StopEventDataStoreIngestion',
                          'DisableFederation', 'PutResourcePolicy', 'DeleteResourcePolicy'))
    OR (eventSource = 'kms.amazonaws.com'
        AND eventName IN ('DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'DisableKeyRotation')))
ORDER BY eventTime, eventID
