-- Input values per bin, against the bins of the drift baseline (the training set's deciles):
-- {{bins}} is a VALUES list of (feature_index, bin, lower_edge, upper_edge), a bin being
-- (lower, upper] with NULL for an open end. PSI and KS are computed from these counts.
SELECT f.model_version, b.feature_index, b.bin, count(*) AS count
FROM inference_features f
JOIN (VALUES {{bins}}) AS b (feature_index, bin, lower_edge, upper_edge)
  ON f.feature_index = b.feature_index
  AND (b.lower_edge IS NULL OR f.value > b.lower_edge)
  AND (b.upper_edge IS NULL OR f.value <= b.upper_edge)
WHERE f.model_version IN ({{versions}}) AND f.created_at >= {{from}} AND f.created_at <= {{to}}
GROUP BY f.model_version, b.feature_index, b.bin
ORDER BY f.model_version, b.feature_index, b.bin
