-- Requests and failures per hour and model version, for the report's timeline.
SELECT model_version, substr(created_at, 1, 13) AS hour,
  count(*) AS requests,
  sum(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END) AS errors
FROM inference_records
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version, substr(created_at, 1, 13)
ORDER BY hour, model_version
