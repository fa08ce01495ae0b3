-- Athena (Trino) spelling of the two views that unnest JSON bodies; see duckdb.sql for what
-- they hold. Array positions from WITH ORDINALITY are 1-based, as DuckDB's subscripts.
CREATE OR REPLACE VIEW inference_features AS
SELECT r.request_id, r.created_at, r.model_version, f.feature_index, f.value
FROM inference_records r
CROSS JOIN UNNEST(TRY(CAST(json_extract(r.input_body, '$.instances') AS ARRAY(ARRAY(DOUBLE))))) AS i (instance)
CROSS JOIN UNNEST(i.instance) WITH ORDINALITY AS f (value, feature_index)
WHERE r.status = 'SUCCESS' AND r.input_mode = 'full' AND r.input_body IS NOT NULL;

CREATE OR REPLACE VIEW inference_predictions AS
SELECT r.request_id, r.created_at, r.model_version, p.label, array_max(map_values(p.probabilities)) AS top_probability
FROM inference_records r
CROSS JOIN UNNEST(TRY(CAST(json_extract(r.output_body, '$.predictions') AS ARRAY(ROW(label VARCHAR, probabilities MAP(VARCHAR, DOUBLE)))))) AS p (label, probabilities)
WHERE r.status = 'SUCCESS' AND r.output_body IS NOT NULL;
