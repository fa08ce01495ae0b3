import type { LocalPipeline } from './local-pipeline';
import { callLocalApi } from './local-client';

/** Iris rows of each species, and one request the API must refuse. */
const SAMPLES: ReadonlyArray<{ title: string; body: unknown }> = [
  { title: 'one setosa flower', body: { instances: [[5.1, 3.5, 1.4, 0.2]] } },
  {
    title: 'a versicolor and a virginica',
    body: {
      instances: [
        [6.0, 2.9, 4.5, 1.5],
        [7.7, 3.0, 6.1, 2.3],
      ],
    },
  },
  { title: 'a row with three features (refused)', body: { instances: [[5.1, 3.5, 1.4]] } },
];

/** `npm start -- --demo`: a few predictions through the API, then what the table recorded. */
export async function runDemo(pipeline: LocalPipeline, print: (line: string) => void): Promise<void> {
  const ids: string[] = [];
  for (const sample of SAMPLES) {
    const res = await callLocalApi(pipeline, 'POST', '/predict', JSON.stringify(sample.body));
    const body = (await res.json()) as { requestId?: string };
    if (body.requestId) ids.push(body.requestId);
    print(`\nPOST /predict — ${sample.title}\n  ${res.status} ${JSON.stringify(body)}`);
  }
  for (const id of ids) {
    const res = await callLocalApi(pipeline, 'GET', `/inferences/${id}`);
    print(`\nGET /inferences/${id}\n  ${res.status} ${JSON.stringify(await res.json(), null, 2).replace(/\n/g, '\n  ')}`);
  }
  const version = encodeURIComponent(pipeline.config.model.version);
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const list = await callLocalApi(pipeline, 'GET', `/inferences?modelVersion=${version}&from=${from}&to=${to}&limit=5`);
  print(
    `\nGET /inferences?modelVersion=${pipeline.config.model.version} (last hour)\n  ${list.status} ${JSON.stringify(await list.json()).slice(0, 400)}...`,
  );
  const models = await callLocalApi(pipeline, 'GET', '/models');
  print(`\nGET /models\n  ${models.status} ${JSON.stringify(await models.json(), null, 2).replace(/\n/g, '\n  ')}\n`);
}
