-- title: Who read, wrote or deleted inference records
-- description: DynamoDB data events on the inference table: every item read, write and delete
--   with the principal, its role, the item key and the address it came from. The event data
--   store records these only for the pipeline's table (data events are scoped by ARN), and
--   reads of the table's indexes appear as events on the table with an indexName. Exclude
--   the pipeline's own function role to see everyone else.
-- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
-- param: endTime (timestamp, default now) end of the window, exclusive (UTC)
-- param: tableName (name, default '') the inference table's name; empty matches every table
-- param: excludeRoleArn (arn, default '') leave out calls made with this role (e.g. the prediction function's role); empty leaves out nothing
SELECT
  eventTime,
  CASE
    WHEN eventName IN ('GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems') THEN 'read'
    WHEN eventName = 'DeleteItem' THEN 'delete'
    ELSE 'write'
  END AS access,
  eventName,
  element_at(requestParameters, 'tableName') AS tableName,
  element_at(requestParameters, 'indexName') AS indexName,
  element_at(requestParameters, 'key') AS itemKey,
  userIdentity.arn AS principalArn,
  userIdentity.sessionContext.sessionIssuer.arn AS roleArn,
  sourceIPAddress,
  userAgent,
  errorCode,
  eventID
FROM $EDS
WHERE eventSource = 'dynamodb.amazonaws.com'
  AND eventCategory = 'Data'
  AND eventTime >= {{startTime}}
  AND eventTime < {{endTime}}
  AND ({{tableName}} = ''
       OR element_at(requestParameters, 'tableName') = {{tableName}}
       OR strpos(coalesce(element_at(requestParameters, 'requestItems'), element_at(requestParameters, 'transactItems'), ''), '"' || {{tableName}} || '"') > 0)
  AND ({{excludeRoleArn}} = ''
       OR coalesce(userIdentity.sessionContext.sessionIssuer.arn, userIdentity.arn, '') <> {{excludeRoleArn}})
ORDER BY eventTime, eventID
