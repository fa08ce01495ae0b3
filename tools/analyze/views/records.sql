-- One row per inference record, from the table's items in DynamoDB JSON (an export's
-- `{"Item":{...}}` lines, or the same items read by Scan). Both engines run this view
-- unchanged: numbers arrive as strings (`N`), so they are cast here and nowhere else.
CREATE OR REPLACE VIEW inference_records AS
SELECT
  item.requestId.S AS request_id,
  item.createdAt.S AS created_at,
  item.modelVersion.S AS model_version,
  item.status.S AS status,
  item.errorCode.S AS error_code,
  CAST(item.latencyMs.N AS DOUBLE) AS latency_ms,
  CAST(item.modelLatencyMs.N AS DOUBLE) AS model_latency_ms,
  item.input.M.mode.S AS input_mode,
  item.input.M.body.S AS input_body,
  item.output.M.body.S AS output_body
FROM export_items
WHERE item.pk.S LIKE 'INFERENCE#%'
