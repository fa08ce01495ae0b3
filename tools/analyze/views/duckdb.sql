-- DuckDB's spelling of the two views that unnest JSON bodies (Athena's is athena.sql).
-- One row per input value: the record, the row of the request and the feature (1-based).
-- Only served requests: a refused body need not be valid JSON. Values exist only in `full`
-- payload mode; `hash` and `none` keep no body (the analysis says so).
CREATE OR REPLACE VIEW inference_features AS
WITH rows AS (
  SELECT request_id, created_at, model_version,
    unnest(TRY_CAST(json_extract(input_body, '$.instances') AS DOUBLE[][])) AS instance
  FROM inference_records
  WHERE status = 'SUCCESS' AND input_mode = 'full' AND input_body IS NOT NULL
)
SELECT request_id, created_at, model_version, generate_subscripts(instance, 1) AS feature_index, unnest(instance) AS value
FROM rows;

-- One row per prediction: its label and its confidence (the top class probability).
CREATE OR REPLACE VIEW inference_predictions AS
WITH p AS (
  SELECT request_id, created_at, model_version,
    unnest(TRY_CAST(json_extract(output_body, '$.predictions') AS STRUCT(label VARCHAR, probabilities MAP(VARCHAR, DOUBLE))[])) AS prediction
  FROM inference_records
  WHERE status = 'SUCCESS' AND output_body IS NOT NULL
)
SELECT request_id, created_at, model_version, prediction.label AS label, list_max(map_values(prediction.probabilities)) AS top_probability
FROM p;
