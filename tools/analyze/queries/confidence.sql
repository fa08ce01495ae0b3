-- Prediction confidence (the top class probability) per model version.
SELECT model_version,
  count(*) AS predictions,
  avg(top_probability) AS mean,
  min(top_probability) AS min,
  approx_percentile(top_probability, 0.1) AS p10,
  approx_percentile(top_probability, 0.5) AS p50,
  approx_percentile(top_probability, 0.9) AS p90,
  sum(CASE WHEN top_probability < 0.6 THEN 1 ELSE 0 END) AS below_0_6
FROM inference_predictions
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version
ORDER BY model_version
