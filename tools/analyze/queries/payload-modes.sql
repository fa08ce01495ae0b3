-- What the records kept of their inputs: only `full` keeps values to analyse.
SELECT model_version, coalesce(input_mode, 'absent') AS input_mode, count(*) AS records
FROM inference_records
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version, coalesce(input_mode, 'absent')
ORDER BY model_version, input_mode
