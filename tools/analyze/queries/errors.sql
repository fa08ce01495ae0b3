-- Failed requests per model version and error kind.
SELECT model_version, error_code, count(*) AS errors
FROM inference_records
WHERE status = 'ERROR' AND model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version, error_code
ORDER BY model_version, errors DESC, error_code
