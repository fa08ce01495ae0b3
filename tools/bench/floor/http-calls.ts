/**
 * CPU floor of any two HTTP calls: two keep-alive POSTs of the request body to the local
 * SageMaker invoke route with Node's own http client, no SDK. `npm run bench` uses it to
 * tell the SDK's per-call work from the HTTP client's.
 */
import * as http from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const agent = new http.Agent({ keepAlive: true });
const url = new URL(
  `/endpoints/${encodeURIComponent(process.env.ENDPOINT_NAME ?? '')}/invocations`,
  process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
);

function post(body: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const body = event.body ?? '';
  await post(body);
  await post(body);
  return { statusCode: 200, body: '' };
};
