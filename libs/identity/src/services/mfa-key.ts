import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The generated key's file under DATA_DIR (mode 0600) when `MFA_ENCRYPTION_KEY` is not set. */
export const MFA_KEY_FILE = 'mfa-encryption-key';

/**
 * A 32-byte key written as 64 hex digits or as base64 / base64url (44 or 43 characters); null when the
 * text is neither (the caller names the variable or the file).
 */
export function parseMfaKey(raw: string): Buffer | null {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return null;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : null;
}

let ephemeral: Buffer | undefined;

/**
 * The MFA encryption key: the configured one; else one generated once into `DATA_DIR/mfa-encryption-key`
 * (0600, DATA_DIR 0700), so that a database dump or backup alone never opens the secrets; with an
 * in-memory DATA_DIR (tests) a per-process random key.
 */
export async function resolveMfaKey(
  configured: Buffer | undefined,
  dataDir: string | undefined,
): Promise<Buffer> {
  if (configured) return configured;
  if (dataDir === undefined || dataDir === 'memory://') return (ephemeral ??= randomBytes(32));
  const file = join(dataDir, MFA_KEY_FILE);
  if (!existsSync(file)) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err; // another instance on the same DATA_DIR was first
      },
    );
  }
  await chmod(file, 0o600);
  const key = parseMfaKey(await readFile(file, 'utf8'));
  if (!key) throw new Error(`${file}: must hold a 32-byte key (64 hex digits or base64)`);
  return key;
}
