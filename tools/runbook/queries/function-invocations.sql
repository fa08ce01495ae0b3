-- title: Direct invocations of the pipeline's functions
-- description: Lambda Invoke data events on the pipeline's functions that did not come through
--   API Gateway: someone calling the prediction or read function directly, bypassing the API's
--   authorization, throttling and access log.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: functionName (name, default '') one function's name; empty matches every function
-- param: prefix (name, default '') only functions whose names start with this; empty matches all
SELECT
  eventTime,
  element_at(requestParameters, 'functionName') AS functionName,
  element_at(requestParameters, 'invocationType') AS invocationType,
  userIdentity.type AS principalType,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventSource = 'lambda.amazonaws.com'
  AND eventName = 'Invoke'
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND coalesce(userIdentity.invokedBy, '') <> 'apigateway.amazonaws.com'
  AND coalesce(sourceIPAddress, '') <> 'apigateway.amazonaws.com'
  AND ({{functionName}} = ''
       OR element_at(requestParameters, 'functionName') = {{functionName}}
       OR coalesce(split_part(element_at(requestParameters, 'functionName'), ':', 7), '') = {{functionName}})
  AND (starts_with(coalesce(element_at(requestParameters, 'functionName'), ''), {{prefix}})
       OR starts_with(coalesce(split_part(element_at(requestParameters, 'functionName'), ':', 7), ''), {{prefix}}))
ORDER BY eventTime, eventID
