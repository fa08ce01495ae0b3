// One Lambda execution environment: loads the function's bundle once (the cold start), then
// runs one invocation at a time, like the Lambda runtime. Plain JavaScript on purpose: it is
// loaded by worker_threads directly, with no TypeScript loader in between.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { bundleFile, handlerName } = workerData;

// Every line the function prints travels on the message channel, so it stays ordered with the
// invocation's result (worker stdout would arrive at the parent later and out of order).
let currentRequestId;
for (const [stream, level] of [
  [process.stdout, 'INFO'],
  [process.stderr, 'ERROR'],
]) {
  stream.write = (chunk, encoding, callback) => {
    parentPort.postMessage({ type: 'log', text: String(chunk), level, requestId: currentRequestId });
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };
}

let handler;
let initDurationMs;

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const { event, context: ctx } = message;
  currentRequestId = ctx.awsRequestId;
  try {
    if (!handler) {
      const started = performance.now();
      const mod = await import(pathToFileURL(bundleFile).href);
      handler = mod[handlerName] ?? mod.default?.[handlerName];
      if (typeof handler !== 'function')
        throw Object.assign(new Error(`${handlerName} is not a function of ${bundleFile}`), { name: 'Runtime.HandlerNotFound' });
      initDurationMs = performance.now() - started;
    }
    const context = {
      ...ctx,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, ctx.deadlineMs - Date.now()),
      done() {},
      fail() {},
      succeed() {},
    };
    const result = await handler(event, context);
    parentPort.postMessage({ type: 'result', result, initDurationMs, heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20 });
  } catch (error) {
    parentPort.postMessage({
      type: 'error',
      errorType: error?.name ?? 'Error',
      errorMessage: error?.message ?? String(error),
      initDurationMs,
      heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
    });
  } finally {
    initDurationMs = undefined;
  }
});
