-- Total (function) and model (endpoint call) latency percentiles of served requests.
SELECT model_version,
  count(*) AS requests,
  approx_percentile(latency_ms, 0.5) AS total_p50,
  approx_percentile(latency_ms, 0.9) AS total_p90,
  approx_percentile(latency_ms, 0.99) AS total_p99,
  approx_percentile(model_latency_ms, 0.5) AS model_p50,
  approx_percentile(model_latency_ms, 0.9) AS model_p90,
  approx_percentile(model_latency_ms, 0.99) AS model_p99
FROM inference_records
WHERE status = 'SUCCESS' AND model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version
ORDER BY model_version
