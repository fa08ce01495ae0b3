-- title: Changes to the pipeline's functions and API
-- description: Who changed the functions' code, configuration, permissions or concurrency, or
--   the API's stages, deployments, methods, integrations and keys: the other ways besides the
--   endpoint to change what the pipeline does. The runbook's own containment actions appear
--   here too (PutFunctionConcurrency, UpdateStage, UpdateApiKey).
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: prefix (name, default '') only functions whose names start with this; empty matches all
-- param: restApiId (name, default '') only this REST API (API key and usage plan calls carry no API id and are listed only when empty); empty matches all
SELECT
  eventTime,
  eventSource,
  eventName,
  coalesce(element_at(requestParameters, 'functionName'), element_at(requestParameters, 'restApiId')) AS target,
  coalesce(element_at(requestParameters, 'stageName'), element_at(requestParameters, 'apiKey'), element_at(requestParameters, 'usagePlanId')) AS detail,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND ((eventSource = 'lambda.amazonaws.com'
        AND (eventName LIKE 'UpdateFunction%' OR eventName LIKE 'CreateFunction%' OR eventName LIKE 'DeleteFunction%'
             OR eventName LIKE 'PutFunction%' OR eventName LIKE 'AddPermission%' OR eventName LIKE 'RemovePermission%'
             OR eventName LIKE 'PublishVersion%' OR eventName LIKE 'CreateAlias%' OR eventName LIKE 'UpdateAlias%'
             OR eventName LIKE 'DeleteAlias%' OR eventName LIKE 'PutProvisionedConcurrencyConfig%')
        AND (starts_with(coalesce(element_at(requestParameters, 'functionName'), ''), {{prefix}})
             OR starts_with(coalesce(split_part(element_at(requestParameters, 'functionName'), ':', 7), ''), {{prefix}})))
    OR (eventSource = 'apigateway.amazonaws.com'
        AND eventName IN ('UpdateStage', 'DeleteStage', 'CreateStage', 'CreateDeployment', 'UpdateRestApi', 'PutRestApi',
                          'DeleteRestApi', 'PutMethod', 'UpdateMethod', 'DeleteMethod', 'PutIntegration', 'UpdateIntegration',
                          'DeleteIntegration', 'UpdateAuthorizer', 'DeleteAuthorizer', 'UpdateResource', 'DeleteResource',
                          'CreateApiKey', 'UpdateApiKey', 'DeleteApiKey', 'UpdateUsagePlan', 'CreateUsagePlanKey', 'DeleteUsagePlanKey')
        AND ({{restApiId}} = '' OR element_at(requestParameters, 'restApiId') = {{restApiId}})))
ORDER BY eventTime, eventID
