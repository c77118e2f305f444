// A faye 1.4.3 Bayeux server on 127.0.0.1 for `make bench-bayeux`
// (bayeux/internal/bayeuxbench), speaking the same control protocol as the benchmark's Go
// server, so one load generator drives both.
//
// Usage: node --expose-gc faye-bench.mjs [timeoutSeconds] [engine|client]
//
// Prints {"port":N} on stdout once it listens and exits when stdin closes, so the
// benchmark never leaks it. The Bayeux endpoint is /bayeux. Besides it:
//   POST /publish  body [{"channel":"/x","data":…},…]: publishes each event server-side,
//                  answers {"published":n} once all are queued. "engine" (the default) hands
//                  them to faye's engine, the layer under faye's own server-side client and
//                  the counterpart of the Go server's Publish; "client" goes through
//                  adapter.getClient().publish (faye's documented API, slower).
//   GET  /stats    {"sessions":n,"held":n,"cpuMicros":n}: sessions faye knows, connects it
//                  holds, CPU time used by this process.
//   GET  /heap     {"heap":bytes,"rss":bytes} after global.gc() (needs --expose-gc).
import http from 'node:http';
import faye from 'faye';

const timeout = Number(process.argv[2] ?? 30); // seconds a connect is held (faye's unit)
const mode = process.argv[3] ?? 'engine';
if (mode !== 'engine' && mode !== 'client') {
  process.stderr.write(`faye-bench: unknown publish mode ${mode}\n`);
  process.exit(2);
}
if (typeof global.gc !== 'function') {
  process.stderr.write('faye-bench: run node with --expose-gc\n');
  process.exit(2);
}

const adapter = new faye.NodeAdapter({ mount: '/bayeux', timeout });
let sessions = 0;
adapter.on('handshake', () => { sessions++; });
adapter.on('disconnect', () => { sessions--; });

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const engine = adapter._server._engine; // faye's Engine.Proxy
const client = mode === 'client' ? adapter.getClient() : null;

async function publish(events) {
  if (client) {
    await Promise.all(events.map((e) => client.publish(e.channel, e.data)));
    return;
  }
  for (const e of events) engine.publish({ channel: e.channel, data: e.data });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (req.method === 'POST' && url.pathname === '/publish') {
      const events = JSON.parse(await readBody(req));
      if (!Array.isArray(events)) throw new Error('want an array of events');
      await publish(events);
      reply(res, 200, { published: events.length });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/stats') {
      const cpu = process.cpuUsage();
      reply(res, 200, { sessions, held: engine._connections.size, cpuMicros: cpu.user + cpu.system });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/heap') {
      global.gc();
      global.gc();
      const m = process.memoryUsage();
      reply(res, 200, { heap: m.heapUsed, rss: m.rss });
      return;
    }
    reply(res, 404, { error: 'not found' });
  } catch (err) {
    reply(res, 400, { error: String(err && err.message) });
  }
});
// The load generator keeps connections between phases; Node's 5 s default would close
// them under it.
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
adapter.attach(server);

server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

function stop() {
  adapter.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
