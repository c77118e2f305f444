// A faye 1.4.3 Bayeux server on 127.0.0.1, for the Go client's interop test
// (bayeux/client_faye_test.go). Usage: node faye-server.mjs [timeoutSeconds]
//
// Prints {"port":N} on stdout once it listens, and exits when stdin closes, so the Go test
// never leaks it. Besides the Bayeux endpoint at /faye it serves:
//   POST /trigger?channel=/x   publishes the JSON body on /x through faye's server-side client
//   POST /destroy?clientId=ID  makes faye forget a session, as when it expires: its held
//                              connect returns, and its next message gets 401 + reconnect:handshake
//   GET  /clients              {"clientId": ["/channel", …]} for the sessions faye knows
import http from 'node:http';
import faye from 'faye';

const timeout = Number(process.argv[2] ?? 5); // seconds a connect is held (faye's unit)
const adapter = new faye.NodeAdapter({ mount: '/faye', timeout });

const clients = new Map();
adapter.on('handshake', (id) => clients.set(id, new Set()));
adapter.on('subscribe', (id, channel) => clients.get(id)?.add(channel));
adapter.on('unsubscribe', (id, channel) => clients.get(id)?.delete(channel));
adapter.on('disconnect', (id) => clients.delete(id));

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

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (req.method === 'POST' && url.pathname === '/trigger') {
      const channel = url.searchParams.get('channel');
      const data = JSON.parse((await readBody(req)) || 'null');
      adapter.getClient().publish(channel, data).then(
        () => reply(res, 200, { published: channel }),
        (err) => reply(res, 500, { error: String(err && err.message) }));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/destroy') {
      const id = url.searchParams.get('clientId');
      const known = clients.has(id);
      adapter._server._engine.destroyClient(id);
      reply(res, 200, { destroyed: known });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/clients') {
      reply(res, 200, Object.fromEntries([...clients].map(([id, chs]) => [id, [...chs]])));
      return;
    }
    reply(res, 404, { error: 'not found' });
  } catch (err) {
    reply(res, 400, { error: String(err && err.message) });
  }
});
adapter.attach(server);

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

function stop() {
  adapter.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
