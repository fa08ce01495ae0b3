// Handler CPU probe: runs one bundle's handler in this process, alone (the local servers it
// calls live in the parent), so process.cpuUsage() counts the handler's own work — its code,
// the SDK, Powertools, the HTTP client, log writes — and not the servers'. Prints one JSON
// line: the import, the first (cold) invocation, the warm-up in batches (the JIT settling:
// V8 optimizes hot code only after many calls), then the measured warm invocations in batches.
// Plain JavaScript: the bundle is imported directly, with no loader in between.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [file, warmupRaw, requestsRaw, batchRaw, body] = process.argv.slice(2);
const warmup = Number(warmupRaw);
const requests = Number(requestsRaw);
const batch = Number(batchRaw);
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS ?? 10_000);

// The handler's log lines: counted (log bytes per request) and kept for one warm request.
const emit = process.stdout.write.bind(process.stdout);
let logBytes = 0;
let keep = false;
const kept = [];
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    const text = String(chunk);
    logBytes += Buffer.byteLength(text);
    if (keep) kept.push(text);
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };
}

// user: JavaScript and the runtime; system: the kernel's side of its syscalls (on loopback,
// a socket write also runs the receiver's TCP processing, which a real network would not).
const measure = async (fn) => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return {
    cpuMs: (used.user + used.system) / 1000,
    userMs: used.user / 1000,
    systemMs: used.system / 1000,
    wallMs: performance.now() - started,
  };
};

const event = () => {
  const requestId = randomUUID();
  return {
    resource: '/predict',
    path: '/predict',
    httpMethod: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'bench' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: { requestId, stage: 'bench', identity: { sourceIp: '127.0.0.1', userAgent: 'bench' } },
  };
};
const context = () => {
  const deadline = Date.now() + timeoutMs;
  return {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '1024',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
};

let failures = 0;
const statuses = {};
const invoke = async () => {
  const response = await handler(event(), context());
  statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
  if (response.statusCode !== 200) failures++;
};

let handler;
const init = await measure(async () => {
  const mod = await import(pathToFileURL(file).href);
  handler = mod.handler;
});
const first = await measure(invoke);
const runBatches = async (total) => {
  const out = [];
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const m = await measure(async () => {
      for (let i = 0; i < n; i++) await invoke();
    });
    out.push({ n, ...m });
  }
  return out;
};
const warmupBatches = await runBatches(warmup);

// One warm request's lines, then the batches.
keep = true;
const bytesBefore = logBytes;
await invoke();
const oneRequestBytes = logBytes - bytesBefore;
keep = false;

const logStart = logBytes;
const batches = await runBatches(requests);

emit(
  `${JSON.stringify({
    init,
    first,
    warmupBatches,
    batches,
    logBytesPerRequest: (logBytes - logStart) / requests,
    oneRequest: {
      bytes: oneRequestBytes,
      lines: kept
        .join('')
        .split('\n')
        .filter((l) => l.trim()),
    },
    failures,
    statuses,
  })}\n`,
);
process.exit(0);
