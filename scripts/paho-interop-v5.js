#!/usr/bin/env node
// Eclipse Paho MQTT 5 interoperability tests (client_test5.py), one test at a time, against brokers (ADR 0105).
//   PAHO_DIR=/path/to/paho.mqtt.testing [AEDES2_DIR=/path/to/dir] [MQTT_URL=mqtt://127.0.0.1:1884] \
//     [PAHO5_TARGETS=gatehouse,aedes1,aedes2,url] [PAHO5_TESTS=test_basic,...] [PAHO5_TIMEOUT=90] \
//     node scripts/paho-interop-v5.js
// Not part of `npm test` or .ci/run: it measures, it does not gate. Nothing of paho or aedes 2 is vendored:
// PAHO_DIR is a checkout of eclipse/paho.mqtt.testing beside the project (default ../paho.mqtt.testing),
// AEDES2_DIR a folder outside the repository where `npm i aedes@2.0.0-beta.1` was run.
// Targets (default: gatehouse, aedes1, plus aedes2 when AEDES2_DIR is set and url when MQTT_URL is set):
//   gatehouse  the real gateway (aedes 1.x, MQTT_DENY_ACTION=ignore) with admin-api on an in-memory database and
//              a user holding `#` readWrite and a deny on `test/nosubscribe` read, as scripts/paho-interop.js
//   aedes1     a bare broker on the project's aedes 1.x with the three hooks below
//   aedes2     the same bare broker on the aedes of AEDES2_DIR (the very same hook code)
//   url        a broker already running at MQTT_URL (Mosquitto on a private port); MQTT_USERNAME/MQTT_PASSWORD optional
// Bare brokers: authenticate (user `paho`, a random password), authorizeSubscribe (refuses `test/nosubscribe`),
// authorizePublish (refuses topics starting with `$`, as `#` does not cover them in Gatehouse). Each test runs in
// its own python3 process through scripts/paho/run_client_test5.py, against a fresh broker for the in-process
// targets, and is killed after PAHO5_TIMEOUT seconds (a hang counts as `timeout`). Prints one table (markdown)
// with a column per target and each target's score.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const { createRequire } = require('node:module');
const net = require('node:net');
const { randomBytes } = require('node:crypto');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const pahoDir = path.resolve(process.env.PAHO_DIR || path.join(root, '..', 'paho.mqtt.testing'));
const clientTest5 = path.join(pahoDir, 'interoperability', 'client_test5.py');
const runner = path.join(__dirname, 'paho', 'run_client_test5.py');
const timeoutSeconds = Number(process.env.PAHO5_TIMEOUT || 90);

function skipped(why) {
  console.log(`paho interop v5: skipped (${why})`);
  process.exit(0);
}
if (!existsSync(clientTest5))
  skipped(`no checkout: ${clientTest5} not found; clone eclipse/paho.mqtt.testing there or set PAHO_DIR`);
try {
  execFileSync('python3', ['--version'], { stdio: 'ignore' });
} catch {
  skipped('python3 not found');
}

/** The test names of client_test5.py in the order unittest runs them (sorted by name). */
function testNames() {
  if (process.env.PAHO5_TESTS) return process.env.PAHO5_TESTS.split(',').filter(Boolean);
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import sys, unittest; sys.path.insert(0, "."); import client_test5; ' +
        'print(",".join(unittest.defaultTestLoader.getTestCaseNames(client_test5.Test)))',
    ],
    { cwd: path.join(pahoDir, 'interoperability'), encoding: 'utf8' },
  );
  return out.trim().split(',');
}

/** Imports `aedes` as installed under `dir` (aedes 1.2 and 2.0 are ES modules). */
async function loadAedes(dir) {
  const entry = createRequire(path.join(dir, 'package.json')).resolve('aedes');
  const mod = await import(pathToFileURL(entry).href);
  const packageJson = createRequire(entry)(path.join(path.dirname(entry), 'package.json'));
  return { Aedes: mod.Aedes, version: packageJson.version };
}

/**
 * A bare aedes broker with three hooks that never look at the protocol version: the same code runs on
 * aedes 1.x and 2.0. Returns its port and a close function that also ends every open socket.
 */
async function bareBroker(Aedes, username, password) {
  const broker = await Aedes.createBroker({
    authenticate(client, user, pass, done) {
      if (user === username && pass && pass.toString('utf8') === password) return done(null, true);
      const err = new Error('bad user name or password');
      err.returnCode = 4;
      return done(err, false);
    },
    authorizeSubscribe(client, sub, done) {
      // null refuses this one filter (SUBACK 0x80 in 3.1.1, 0x87 in aedes 2 for MQTT 5)
      done(null, sub.topic === 'test/nosubscribe' ? null : sub);
    },
    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith('$')) return done(new Error(`no write permission on ${packet.topic}`));
      return done(null);
    },
  });
  if (process.env.PAHO5_VERBOSE)
    for (const event of [
      'clientError',
      'connectionError',
      'keepaliveTimeout',
      'clientDisconnect',
      'willDropped',
    ])
      broker.on(event, (client, detail) =>
        console.log(`[broker] ${event} ${client?.id ?? ''} ${detail instanceof Error ? detail.message : ''}`),
      );
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
      await new Promise((resolve) => broker.close(() => resolve()));
    },
  };
}

/** Runs one client_test5.py test; resolves to pass | fail | error | timeout. */
function runTest(test, port, host, username, password) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn('python3', [runner], {
      env: {
        ...process.env,
        PAHO_DIR: pahoDir,
        PAHO_HOST: host,
        PAHO_PORT: String(port),
        PAHO_USERNAME: username ?? '',
        PAHO_PASSWORD: password ?? '',
        PAHO_TESTS: test,
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    for (const s of [child.stdout, child.stderr])
      s.on('data', (d) => {
        out += d;
        if (process.env.PAHO5_VERBOSE) process.stdout.write(d);
      });
    child.on('exit', () => {
      clearTimeout(timer);
      if (timedOut) return resolve('timeout');
      const m = new RegExp(`PAHO5 RESULT: ${test} (\\w+)`).exec(out);
      resolve(m ? m[1] : 'error');
    });
  });
}

async function rest(base, token, method, url, body) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** admin-api on an in-memory database with the suite's user; returns a per-test gateway factory. */
async function gatehouseTarget() {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { stdio: 'inherit' });
  const { createAdminApi } = require(path.join(root, 'dist/apps/admin-api/src/bootstrap.js'));
  const { createBrokerGateway } = require(path.join(root, 'dist/apps/broker-gateway/src/bootstrap.js'));
  const adminPassword = `Paho-admin-${randomBytes(6).toString('hex')}`;
  const admin = await createAdminApi(
    {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: adminPassword,
      LOG_LEVEL: 'warn',
    },
    { logger: ['error'] },
  );
  const { token } = await rest(admin.httpUrl, undefined, 'POST', '/api/login', {
    username: 'admin',
    password: adminPassword,
  });
  const username = 'paho';
  const password = `Paho-user-${randomBytes(6).toString('hex')}`;
  await rest(admin.httpUrl, token, 'POST', '/api/users', {
    username,
    password,
    roles: [],
    permissions: [
      { context: 'mqtt', resource: '#', operation: 'readWrite' },
      { context: 'mqtt', resource: 'test/nosubscribe', operation: 'read', effect: 'deny' },
    ],
  });
  return {
    username,
    password,
    start: async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-paho5-'));
      const gateway = await createBrokerGateway({
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: '0',
        MQTT_WS_PORT: '0',
        MQTT_TLS_PORT: '0',
        GATEWAY_HTTP_PORT: '0',
        LOG_LEVEL: process.env.LOG_LEVEL || 'error',
        TRANSPORT_URL: admin.transportUrl,
        DATA_DIR: dataDir,
        MQTT_DENY_ACTION: 'ignore',
      });
      return {
        port: gateway.ports.mqtt,
        close: async () => {
          await gateway.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
    close: () => admin.close(),
  };
}

async function target(name) {
  if (name === 'gatehouse') return { label: 'Gatehouse (aedes 1.x)', ...(await gatehouseTarget()) };
  if (name === 'aedes1' || name === 'aedes2') {
    const dir = name === 'aedes1' ? root : process.env.AEDES2_DIR;
    if (!dir)
      throw new Error('target aedes2 needs AEDES2_DIR (a folder where `npm i aedes@2.0.0-beta.1` was run)');
    const { Aedes, version } = await loadAedes(path.resolve(dir));
    const username = 'paho';
    const password = `Paho-${randomBytes(6).toString('hex')}`;
    return {
      label: `aedes ${version} (bare, 3 hooks)`,
      username,
      password,
      start: () => bareBroker(Aedes, username, password),
      close: async () => {},
    };
  }
  if (name === 'url') {
    if (!process.env.MQTT_URL) throw new Error('target url needs MQTT_URL (mqtt://host:port)');
    const url = new URL(process.env.MQTT_URL);
    return {
      label: `${url.host} (MQTT_URL)`,
      host: url.hostname,
      username: process.env.MQTT_USERNAME,
      password: process.env.MQTT_PASSWORD,
      start: async () => ({ port: Number(url.port || 1883), close: async () => {} }),
      close: async () => {},
    };
  }
  throw new Error(`unknown target ${JSON.stringify(name)} (gatehouse, aedes1, aedes2, url)`);
}

async function main() {
  const names = (
    process.env.PAHO5_TARGETS ||
    ['gatehouse', 'aedes1', process.env.AEDES2_DIR && 'aedes2', process.env.MQTT_URL && 'url']
      .filter(Boolean)
      .join(',')
  ).split(',');
  const tests = testNames();
  const columns = [];
  for (const name of names) {
    const t = await target(name);
    const results = {};
    try {
      for (const test of tests) {
        const broker = await t.start();
        try {
          results[test] = await runTest(test, broker.port, t.host ?? '127.0.0.1', t.username, t.password);
        } finally {
          await broker.close();
        }
        console.log(`paho interop v5: ${t.label}: ${test} ${results[test]}`);
      }
    } finally {
      await t.close();
    }
    columns.push({ label: t.label, results });
  }
  console.log('');
  console.log(`| test | ${columns.map((c) => c.label).join(' | ')} |`);
  console.log(`| --- | ${columns.map(() => '---').join(' | ')} |`);
  for (const test of tests) console.log(`| ${test} | ${columns.map((c) => c.results[test]).join(' | ')} |`);
  const scores = columns.map(
    (c) => `${Object.values(c.results).filter((r) => r === 'pass').length} of ${tests.length}`,
  );
  console.log(`| passed | ${scores.join(' | ')} |`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('paho interop v5 failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
