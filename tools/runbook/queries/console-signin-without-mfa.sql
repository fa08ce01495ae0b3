-- title: Console sign-ins without MFA
-- description: AWS console sign-ins, successful or not, made without multi-factor
--   authentication (additionalEventData MFAUsed = No): the usual first step of an account
--   takeover with a leaked password.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
SELECT
  eventTime,
  userIdentity.type AS principalType,
  coalesce(userIdentity.arn, userIdentity.principalId) AS principalArn,
  userIdentity.userName AS userName,
  element_at(responseElements, 'ConsoleLogin') AS result,
  errorMessage,
  sourceIPAddress,
  userAgent,
  eventID
FROM $EDS
WHERE eventSource = 'signin.amazonaws.com'
  AND eventName = 'ConsoleLogin'
  AND element_at(additionalEventData, 'MFAUsed') = 'No'
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
ORDER BY eventTime, eventID
