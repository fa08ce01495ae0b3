-- title: Endpoint, endpoint config and model changes
-- description: Who created, updated or deleted the pipeline's SageMaker endpoint, endpoint
--   configs or models: when, from which address and client, and whether the call succeeded
--   (errorCode empty) or was refused. Answers "was the endpoint changed by hand?". SageMaker
--   InvokeEndpoint is not a CloudTrail event: predictions are in the inference table and the
--   API access log.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: prefix (name, default '') only endpoints, configs and models whose names start with this (the stage's resource prefix, e.g. inference-prod); empty matches all
SELECT
  eventTime,
  eventName,
  element_at(requestParameters, 'endpointName') AS endpointName,
  element_at(requestParameters, 'endpointConfigName') AS endpointConfigName,
  element_at(requestParameters, 'modelName') AS modelName,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventSource = 'sagemaker.amazonaws.com'
  AND eventName IN ('CreateEndpoint', 'UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities', 'DeleteEndpoint',
                    'CreateEndpointConfig', 'DeleteEndpointConfig', 'CreateModel', 'DeleteModel')
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND (starts_with(coalesce(element_at(requestParameters, 'endpointName'), ''), {{prefix}})
       OR starts_with(coalesce(element_at(requestParameters, 'endpointConfigName'), ''), {{prefix}})
       OR starts_with(coalesce(element_at(requestParameters, 'modelName'), ''), {{prefix}}))
ORDER BY eventTime, eventID
