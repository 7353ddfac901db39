/**
 * Baseline (c): Mosquitto from the Debian package with its dynamic-security plugin, started on a free
 * loopback port with its own configuration under bench/.tmp/ (never the system Mosquitto on 1883).
 * `mosquitto_ctrl dynsec init` writes the plugin's configuration with an admin client; roles, ACLs and
 * clients are then created through the plugin's control topic ($CONTROL/dynamic-security/v1), in one
 * message, as `mosquitto_ctrl` does one command at a time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { TMP, freePort } from './common';
import { type Spawned, spawnExe, stop } from './processes';

export const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const ADMIN = 'bench-dynsec-admin';
const ADMIN_PASSWORD = 'Bench-dynsec-admin-1';

export type AclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';
export interface Acl {
  acltype: AclType;
  topic: string;
  allow: boolean;
  priority?: number;
}

export interface Mosquitto {
  proc: Spawned;
  port: number;
  url: string;
  version: string;
  /** Sends dynamic-security commands (one message) and checks that none failed. */
  control(commands: object[]): Promise<void>;
  close(): Promise<void>;
}

/** Why Mosquitto cannot run here, or null. */
export function mosquittoUnavailable(): string | null {
  for (const exe of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto_ctrl'])
    if (!fs.existsSync(exe)) return `${exe} not found (apt-get install mosquitto)`;
  if (!fs.existsSync(DYNSEC_PLUGIN)) return `${DYNSEC_PLUGIN} not found`;
  return null;
}

export async function startMosquitto(label = 'mosquitto'): Promise<Mosquitto> {
  const dir = path.join(TMP, `mosquitto-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const dynsec = path.join(dir, 'dynamic-security.json');
  execFileSync('/usr/bin/mosquitto_ctrl', ['dynsec', 'init', dynsec, ADMIN, ADMIN_PASSWORD], {
    stdio: 'pipe',
  });
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `plugin ${DYNSEC_PLUGIN}`,
      `plugin_opt_config_file ${dynsec}`,
      'persistence false',
      // aedes queues without bound; so does Mosquitto here (its default 1000 would drop messages under load).
      'max_queued_messages 0',
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const version = spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0].trim(); // -h exits with 3
  const proc = spawnExe('/usr/sbin/mosquitto', ['-c', conf], { label });
  // Wait for the listener.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
          username: ADMIN,
          password: ADMIN_PASSWORD,
          reconnectPeriod: 0,
          connectTimeout: 2000,
        });
        c.once('connect', () => c.end(true, {}, () => resolve()));
        c.once('error', (e) => {
          c.end(true);
          reject(e);
        });
      });
      break;
    } catch (err) {
      if (Date.now() > deadline || proc.child.exitCode !== null)
        throw new Error(`mosquitto did not start: ${(err as Error).message}\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const url = `mqtt://127.0.0.1:${port}`;
  return {
    proc,
    port,
    url,
    version,
    async control(commands) {
      const c = await mqtt.connectAsync(url, {
        username: ADMIN,
        password: ADMIN_PASSWORD,
        reconnectPeriod: 0,
      });
      try {
        await c.subscribeAsync('$CONTROL/dynamic-security/v1/response');
        const answer = new Promise<{ responses: { command: string; error?: string }[] }>((resolve) => {
          c.once('message', (_t, payload) => resolve(JSON.parse(payload.toString())));
        });
        await c.publishAsync('$CONTROL/dynamic-security/v1', JSON.stringify({ commands }));
        const { responses } = await answer;
        const failed = responses.filter((r) => r.error);
        if (failed.length > 0)
          throw new Error(`dynsec: ${failed.length} command(s) failed, first: ${JSON.stringify(failed[0])}`);
      } finally {
        await c.endAsync();
      }
    },
    async close() {
      await stop(proc.child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
