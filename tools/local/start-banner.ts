import type { LocalPipeline } from './local-pipeline';

/** What to paste: curl lines that work as printed, signed (iam) or keyed (api-key). */
export function startBanner(pipeline: LocalPipeline, allowUnsigned: boolean): string {
  const { credentials: c, region } = pipeline;
  const body = `-H 'content-type: application/json' -d '{"instances":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}'`;
  let auth: string;
  let who: string[];
  if (pipeline.apiKey) {
    auth = ` -H 'x-api-key: ${pipeline.apiKey}'`;
    who = [
      `  api key      ${pipeline.apiKey} (usage plan key${pipeline.apiKeys.length > 1 ? `; also ${pipeline.apiKeys.slice(1).join(', ')}` : ''})`,
    ];
  } else {
    // curl signs with --aws-sigv4 "aws:amz:REGION:SERVICE" (curl(1), added in 7.75.0).
    const token = c.sessionToken ? ` -H 'x-amz-security-token: ${c.sessionToken}'` : '';
    auth = ` --aws-sigv4 'aws:amz:${region}:execute-api' --user '${c.accessKeyId}:${c.secretAccessKey}'${token}`;
    who = [
      `  signed as    ${c.accessKeyId} (${c.source}; user ${c.userName}), SigV4 for execute-api in ${region}`,
      ...(c.source === 'created locally'
        ? [`  credentials  created for this machine: AWS_ACCESS_KEY_ID=${c.accessKeyId} AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`]
        : []),
      `  unsigned     ${allowUnsigned ? 'accepted (--allow-unsigned), as the key above' : 'refused with 403 Missing Authentication Token, as API Gateway does (--allow-unsigned accepts them)'}`,
    ];
  }
  return `
  API          ${pipeline.url}
  try it       curl -s -X POST ${pipeline.url}/predict${auth} ${body}
  records      curl -s ${pipeline.url}/inferences/REQUEST_ID${auth}
  deployments  curl -s ${pipeline.url}/models${auth}
${who.join('\n')}
  dashboard    ${pipeline.dashboardUrl}
  faults       curl -s -X POST ${new URL(pipeline.url).origin}/_local/faults -d '{"model":{"status":500}}'   (and '{}' to clear)

  endpoint     ${pipeline.endpointName} (model server ${pipeline.modelUrl}, invoke route ${pipeline.sageMakerRuntimeUrl})
  table        ${pipeline.tableName} in dynalite ${pipeline.dynamoDb.url}
  data         ${pipeline.dataDir ?? 'in memory: nothing is kept after exit'}
  logs         ${pipeline.logFile ?? 'terminal only'}
`;
}
