-- Requests and failures per model version in the window.
SELECT model_version,
  count(*) AS requests,
  sum(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END) AS errors,
  sum(CASE WHEN input_mode = 'full' THEN 1 ELSE 0 END) AS with_input_values,
  min(created_at) AS first_at,
  max(created_at) AS last_at
FROM inference_records
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version
ORDER BY model_version
