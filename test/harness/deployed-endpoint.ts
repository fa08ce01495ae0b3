/**
 * The prod endpoint as deployed with the built-in settings: what its DeployedEndpoint output
 * says and what `npm run deploy` passes back as `-c endpoint.previous`. One value, so the
 * stack test (which proves the output has this shape) and the tests that feed it back agree.
 */
export const DEPLOYED_PROD_ENDPOINT = {
  endpointName: 'inference-prod-iris-classifier',
  capacity: {
    mode: 'instance',
    instanceType: 'ml.m5.large',
    initialInstanceCount: 2,
    minInstanceCount: 2,
    maxInstanceCount: 4,
    targetInvocationsPerInstance: 600,
  },
} as const;
