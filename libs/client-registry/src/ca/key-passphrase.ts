import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a generated key-encryption passphrase lives, under DATA_DIR. */
export const passphraseFile = (dataDir: string): string => join(dataDir, 'ca', 'ca-key.passphrase');

let ephemeral: string | undefined;

/**
 * The passphrase that encrypts the CA key at rest: the configured one; else one generated once into
 * `DATA_DIR/ca/ca-key.passphrase` with mode 0600 (the database alone, e.g. a dump or a backup, then
 * never yields the key); with an in-memory DATA_DIR (tests) a per-process random one.
 */
export async function resolveKeyPassphrase(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  if (dataDir === 'memory://') return (ephemeral ??= randomBytes(32).toString('base64url'));
  const file = passphraseFile(dataDir);
  if (!existsSync(file)) {
    await mkdir(join(dataDir, 'ca'), { recursive: true, mode: 0o700 });
    await writeFile(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  await chmod(file, 0o600);
  return (await readFile(file, 'utf8')).trim();
}
