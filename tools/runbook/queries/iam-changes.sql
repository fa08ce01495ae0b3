-- title: Changes to the pipeline's IAM roles and policies
-- description: Who attached, detached, wrote or deleted policies of the pipeline's roles,
--   changed their trust or permissions boundary, or created a new version of one of its
--   managed policies. A role widened during an incident shows up here first.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: prefix (name, default '') only roles whose names, and managed policies whose names or paths, start with this; empty matches all
SELECT
  eventTime,
  eventName,
  element_at(requestParameters, 'roleName') AS roleName,
  element_at(requestParameters, 'policyArn') AS policyArn,
  element_at(requestParameters, 'policyName') AS policyName,
  userIdentity.arn AS principalArn,
  userIdentity.accessKeyId AS accessKeyId,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventSource = 'iam.amazonaws.com'
  AND eventName IN ('CreateRole', 'DeleteRole', 'UpdateRole', 'UpdateAssumeRolePolicy',
                    'AttachRolePolicy', 'DetachRolePolicy', 'PutRolePolicy', 'DeleteRolePolicy',
                    'PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary', 'TagRole', 'UntagRole',
                    'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'SetDefaultPolicyVersion')
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND (starts_with(coalesce(element_at(requestParameters, 'roleName'), ''), {{prefix}})
       OR strpos(coalesce(element_at(requestParameters, 'policyArn'), ''), '/' || {{prefix}}) > 0
       OR (element_at(requestParameters, 'roleName') IS NULL AND starts_with(coalesce(element_at(requestParameters, 'policyName'), ''), {{prefix}})))
ORDER BY eventTime, eventID
