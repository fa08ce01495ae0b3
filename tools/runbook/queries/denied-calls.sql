-- title: Denied calls against pipeline resources
-- description: Calls refused for lack of permission (AccessDenied, UnauthorizedOperation and
--   similar error codes) that name a pipeline resource in their parameters or error message:
--   someone probing what a stolen credential can reach, or a role missing a permission.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: prefix (name, default '') only calls whose parameters or error message mention this (the stage's resource prefix); empty lists every denied call
SELECT
  eventTime,
  eventSource,
  eventName,
  errorCode,
  errorMessage,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  eventID
FROM $EDS
WHERE eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND (errorCode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation',
                     'UnauthorizedAccess', 'AuthorizationError', 'AuthorizationErrorException', 'NotAuthorized',
                     'Forbidden', 'ForbiddenException', 'UnauthorizedException', 'Client.AuthFailure')
       OR errorCode LIKE '%AccessDenied%'
       OR errorCode LIKE '%Unauthorized%')
  AND ({{prefix}} = ''
       OR strpos(coalesce(errorMessage, ''), {{prefix}}) > 0
       OR strpos(coalesce(array_join(map_values(requestParameters), ' '), ''), {{prefix}}) > 0)
ORDER BY eventTime, eventID
