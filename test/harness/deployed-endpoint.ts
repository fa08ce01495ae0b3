import { BUILT_IN_STAGES } from '../../lib/config/defaults';

/**
 * The prod endpoint as deployed with the built-in settings: what its DeployedEndpoint output
 * says and what `npm run deploy` passes back as `-c endpoint.previous`. One value, so the
 * stack test (which proves the output has this shape) and the tests that feed it back agree;
 * its capacity is the built-in prod capacity, not a copy of it.
 */
export const DEPLOYED_PROD_ENDPOINT = {
  endpointName: 'inference-prod-iris-classifier',
  capacity: BUILT_IN_STAGES.prod.endpoint.capacity,
} as const;
