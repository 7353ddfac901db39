// Preloaded (`node -r`) into a process the benchmark wants to profile or inspect (the gateway, bare
// aedes, admin-api) when it is spawned with an IPC channel. Answers these messages from the parent:
//   {bench: 'profile-start'}              starts the V8 CPU profiler (inspector), answers {bench: 'profile-started'}
//   {bench: 'profile-stop', file}         stops it, writes the .cpuprofile to `file`, answers {bench: 'profile-written', file}
//   {bench: 'memory', gc}                 answers {bench: 'memory', usage} (after global.gc() if asked and exposed)
// The IPC channel is unref'd so that it never keeps the process alive. Nothing else is changed.
'use strict';
const fs = require('node:fs');
const inspector = require('node:inspector');

if (typeof process.send === 'function') {
  let session = null;
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const reply = (msg) => {
    if (process.connected) process.send(msg);
  };
  process.on('message', async (msg) => {
    if (!msg || typeof msg !== 'object' || typeof msg.bench !== 'string') return;
    try {
      if (msg.bench === 'profile-start') {
        session = new inspector.Session();
        session.connect();
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: msg.intervalUs ?? 200 });
        await post('Profiler.start');
        reply({ bench: 'profile-started' });
      } else if (msg.bench === 'profile-stop') {
        const { profile } = await post('Profiler.stop');
        session.disconnect();
        session = null;
        fs.writeFileSync(msg.file, JSON.stringify(profile));
        reply({ bench: 'profile-written', file: msg.file });
      } else if (msg.bench === 'memory') {
        if (msg.gc && typeof global.gc === 'function') {
          global.gc();
          global.gc();
        }
        reply({ bench: 'memory', usage: process.memoryUsage() });
      }
    } catch (err) {
      reply({ bench: 'error', message: String((err && err.message) || err) });
    }
  });
  process.channel?.unref();
}
