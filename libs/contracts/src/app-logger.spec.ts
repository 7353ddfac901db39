import { Writable } from 'node:stream';
import { LogFields, createAppLogger, logContext } from './app-logger';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== ''),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createAppLogger (pino JSON lines)', () => {
  it('writes one JSON object per entry with level, time, app, context and msg', async () => {
    const out = capture();
    const logger = createAppLogger('admin-api', 'info', out.stream);
    logger.log('listening', 'Http');
    logger.warn('careful', 'Gateway');
    await flush();
    const [a, b] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'info', app: 'admin-api', context: 'Http', msg: 'listening' });
    expect(typeof a.time).toBe('string');
    expect(typeof a.pid).toBe('number');
    expect(b).toMatchObject({ level: 'warn', context: 'Gateway', msg: 'careful' });
  });

  it('keeps hostile user-controlled strings inside their line', async () => {
    const out = capture();
    const logger = createAppLogger('broker-gateway', 'info', out.stream);
    const hostile = [
      'evil\n{"level":"fatal","msg":"forged"}',
      'cr\r\nlf',
      'nul\u0000byte',
      'sep\u2028\u2029',
      'lone \ud800 surrogate',
      '"quotes" and \\ backslashes',
      '\u001b[31mansi',
    ];
    for (const h of hostile) logger.log(`client id ${h} refused`, h);
    await flush();
    const lines = out.lines();
    expect(lines).toHaveLength(hostile.length);
    lines.forEach((line, i) => {
      // eslint-disable-next-line no-control-regex -- the point: no raw control character in a line
      expect(line).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
      const entry = JSON.parse(line) as { msg: string; context: string };
      // a lone surrogate cannot be written as UTF-8: it arrives as U+FFFD, still inside its line
      const expected = hostile[i].replace('\ud800', '\ufffd');
      expect(entry.msg).toBe(`client id ${expected} refused`);
      expect(entry.context).toBe(expected);
    });
  });

  it('honours LOG_LEVEL: debug entries only at debug, nothing at silent, Nest start-up chatter only at debug', async () => {
    const info = capture();
    const atInfo = createAppLogger('a', 'info', info.stream);
    atInfo.debug('hidden', 'X');
    atInfo.verbose('hidden', 'X');
    atInfo.log('Mapped {/api, GET} route', 'RouterExplorer');
    atInfo.log('shown', 'X');
    const debug = capture();
    const atDebug = createAppLogger('a', 'debug', debug.stream);
    atDebug.debug('shown', 'X');
    atDebug.verbose('hidden at debug', 'X');
    atDebug.log('Mapped {/api, GET} route', 'RouterExplorer');
    const silent = capture();
    const atSilent = createAppLogger('a', 'silent', silent.stream);
    atSilent.fatal('nothing', 'X');
    const error = capture();
    const atError = createAppLogger('a', 'error', error.stream);
    atError.warn('hidden', 'X');
    atError.error('shown', 'X');
    await flush();
    expect(info.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
    expect(debug.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'shown',
      'Mapped {/api, GET} route',
    ]);
    expect(silent.lines()).toEqual([]);
    expect(error.lines().map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['error']);
  });

  it('logs an error with its stack as a field, in one line', async () => {
    const out = capture();
    const logger = createAppLogger('a', 'info', out.stream);
    const err = new Error('boom');
    logger.error('failed', err.stack, 'Http');
    logger.error(err);
    await flush();
    const [a, b] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'error', context: 'Http', msg: 'failed' });
    expect(String(a.stack)).toContain('Error: boom');
    expect(b).toMatchObject({ level: 'error', msg: 'boom' });
    expect((b.err as { stack: string }).stack).toContain('Error: boom');
  });

  it('writes LogFields as top-level keys, escaped, and keeps the context its own', async () => {
    const out = capture();
    const logger = createAppLogger('broker-gateway', 'info', out.stream);
    logger.log(
      'PUBLISH denied',
      new LogFields({ connectionId: 'k3J9', clientId: 'a\n{"msg":"x"}', context: 'spoof' }),
      'Mqtt',
    );
    await flush();
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      msg: 'PUBLISH denied',
      connectionId: 'k3J9',
      clientId: 'a\n{"msg":"x"}',
      context: 'Mqtt',
    });
  });

  it('adds the fields of logContext to every line written inside it (the request id of a request)', async () => {
    const out = capture();
    const logger = createAppLogger('admin-api', 'info', out.stream);
    logContext.run({ requestId: 'r-1' }, () => {
      logger.log('inside', 'Http');
      setImmediate(() => logger.warn('later, same request', 'Users'));
    });
    logger.log('outside', 'Http');
    await flush();
    await flush();
    const entries = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.map((e) => [e.msg, e.requestId])).toEqual([
      ['inside', 'r-1'],
      ['outside', undefined],
      ['later, same request', 'r-1'],
    ]);
  });
});
