-- Per-feature input statistics per model version.
SELECT model_version, feature_index,
  count(*) AS count,
  avg(value) AS mean,
  stddev_samp(value) AS std,
  min(value) AS min,
  max(value) AS max,
  approx_percentile(value, 0.05) AS q05,
  approx_percentile(value, 0.25) AS q25,
  approx_percentile(value, 0.5) AS q50,
  approx_percentile(value, 0.75) AS q75,
  approx_percentile(value, 0.95) AS q95
FROM inference_features
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version, feature_index
ORDER BY model_version, feature_index
