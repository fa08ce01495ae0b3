// Load client: its own process, so it does not share an event loop with the servers it
// measures. argv[2] is JSON { url, body, headers, concurrency, requests, warmup }. Sends
// `warmup` requests unrecorded, then `requests` requests from `concurrency` workers over
// keep-alive connections (loopback only), and prints every latency in milliseconds.
import http from 'node:http';

const { url, body, headers, concurrency, requests, warmup } = JSON.parse(process.argv[2]);
const target = new URL(url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
  process.stderr.write(`refusing a non-loopback target ${target.hostname}\n`);
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const payload = Buffer.from(body);

function send() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': payload.length } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    req.end(payload);
  });
}

async function run(total, record) {
  let next = 0;
  const latencies = [];
  const statuses = {};
  const worker = async () => {
    while (next < total) {
      next++;
      const { status, ms } = await send();
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (record) latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, statuses };
}

await run(warmup, false);
const started = process.hrtime.bigint();
const { latencies, statuses } = await run(requests, true);
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
agent.destroy();
process.stdout.write(JSON.stringify({ latencies, statuses, elapsedMs }));
