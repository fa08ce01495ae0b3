-- Predicted labels per model version, with their mean confidence.
SELECT model_version, label, count(*) AS predictions, avg(top_probability) AS mean_confidence
FROM inference_predictions
WHERE model_version IN ({{versions}}) AND created_at >= {{from}} AND created_at <= {{to}}
GROUP BY model_version, label
ORDER BY model_version, label
