#!/usr/bin/env node
// `npm start`: runs admin-api and broker-gateway side by side (each in its own process, talking
// over the loopback transport), prefixes their output, and stops both on Ctrl-C / SIGTERM or
// when either exits. The gateway starts once admin-api is up, on the transport address it printed.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const apps = [
  { name: 'admin-api', entry: 'dist/apps/admin-api/src/main.js' },
  { name: 'broker-gateway', entry: 'dist/apps/broker-gateway/src/main.js' },
];
const nodeArgs = ['--disable-warning=ExperimentalWarning', '--enable-source-maps'];
const children = [];
let stopping = false;

function pipe(stream, name, out, onLine) {
  let buf = '';
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      out.write(`[${name}] ${line}\n`);
      if (onLine) onLine(line);
      buf = buf.slice(i + 1);
    }
  });
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }, 10000);
  timer.unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(
    () => process.exit(code),
  );
}

function startApp(app, env, onLine) {
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, app.entry)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipe(child.stdout, app.name, process.stdout, onLine);
  pipe(child.stderr, app.name, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${app.name}] exited (${signal ?? code}); stopping Gatehouse`);
      stopAll(code === 0 ? 1 : (code ?? 1));
    }
  });
  children.push(child);
}

let gatewayStarted = false;
startApp(apps[0], process.env, (line) => {
  const m = /^admin-api\s+transport\s+(\S+)/.exec(line);
  if (!m || gatewayStarted || stopping) return;
  gatewayStarted = true;
  const transportUrl = m[1].startsWith('tcp://') ? m[1] : process.env.TRANSPORT_URL;
  startApp(apps[1], { ...process.env, ...(transportUrl ? { TRANSPORT_URL: transportUrl } : {}) });
});

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
