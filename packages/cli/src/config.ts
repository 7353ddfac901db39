import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What `gatehouse login` stores: the server, the session token and when it expires. */
export interface Credentials {
  url: string;
  token: string;
  expiresAt: string;
  username: string;
  tokenId: string;
}

/** The environment the CLI reads (process.env in main.ts; tests pass their own). */
export type Env = Record<string, string | undefined>;

/** `$GATEHOUSE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gatehouse`, else `~/.config/gatehouse`. */
export function configDir(env: Env): string {
  if (env.GATEHOUSE_CONFIG_DIR) return env.GATEHOUSE_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'gatehouse');
}

export const credentialsPath = (env: Env): string => join(configDir(env), 'credentials.json');

function isCredentials(v: unknown): v is Credentials {
  const c = v as Partial<Record<keyof Credentials, unknown>> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.url === 'string' &&
    typeof c.token === 'string' &&
    typeof c.expiresAt === 'string'
  );
}

/** The stored credentials, or undefined when there are none (or the file is not ours). */
export function readCredentials(env: Env): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(credentialsPath(env), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isCredentials(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the credentials readable by their owner only: the directory 0700, the file 0600, written
 * to a temporary file first and renamed over the old one (never a moment with a wider mode).
 */
export function writeCredentials(env: Env, credentials: Credentials): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = credentialsPath(env);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** Removes the stored credentials; true when there were some. */
export function removeCredentials(env: Env): boolean {
  const file = credentialsPath(env);
  try {
    readFileSync(file);
  } catch {
    return false;
  }
  rmSync(file, { force: true });
  return true;
}
