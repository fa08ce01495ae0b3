// Runs the bundled prediction handler in its own process, one scenario per IPC message, and
// sends back the answer with every line the handler wrote (stdout and stderr, in order),
// exactly as Lambda would ship them to CloudWatch Logs. Plain JavaScript: the bundle is ESM
// and is imported directly, with no TypeScript loader in between.
import { pathToFileURL } from 'node:url';

let lines = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    lines.push(String(chunk));
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };
}

const bundle = await import(pathToFileURL(process.argv[2]).href);
let invocation = 0;

process.on('message', async ({ id, env, event }) => {
  lines = [];
  try {
    // A new handler per scenario is a cold start: built from the environment, as in Lambda.
    const handler = bundle.createPredictHandler(bundle.loadPredictConfig({ ...process.env, ...env }));
    invocation += 1;
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
      memoryLimitInMB: '1024',
      awsRequestId: `00000000-0000-4000-8000-${String(invocation).padStart(12, '0')}`,
      logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
      logStreamName: '2026/01/01/[$LATEST]test',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 10_000,
    };
    const response = await handler(event, context);
    process.send({
      id,
      response,
      lines: lines
        .join('')
        .split('\n')
        .filter((l) => l.trim()),
    });
  } catch (error) {
    process.send({
      id,
      error: `${error?.name}: ${error?.message}`,
      lines: lines
        .join('')
        .split('\n')
        .filter((l) => l.trim()),
    });
  }
});
process.send({ ready: true });
