/**
 * Files the infrastructure and the tools both find in this repository, as paths relative to
 * its root. The CDK app ships them (the model's container and artifact); the local pipeline
 * runs the very same files.
 */
export const REPO_PATHS = {
  /** The model container's build context (its Dockerfile and server). */
  modelDir: 'model',
  /** The trained model artifact the endpoint serves unless `model.modelDataUrl` says otherwise. */
  modelArtifact: 'model/artifacts/model.tar.gz',
  /** The training statistics of that artifact (also inside its model.json), for the deployment record. */
  modelTrainingStats: 'model/artifacts/training-stats.json',
  /** The Lambda handlers' sources, one folder per function. */
  lambdaDir: 'lambda',
  /**
   * The incident-response runbook notebook, generated from the query library
   * (`npm run docs:notebook`) and committed; the responder workspace ships this file.
   */
  runbookNotebook: 'tools/runbook/incident-runbook.ipynb',
} as const;
