import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { IDENTITY_OPTIONS, type IdentityOptions } from '../identity.options';

export const INITIAL_ADMIN_PASSWORD_FILE = 'initial-admin-password';

/**
 * `DATA_DIR/initial-admin-password` (mode 0600): the generated initial admin password, kept until it is
 * changed, so that a first start that failed after creating the admin (a port taken) does not lose it
 * (ADR 0010). No file with an in-memory DATA_DIR.
 */
@Injectable()
export class InitialPasswordFile {
  private readonly logger = new Logger('Gatehouse');

  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  /** The file's path, or undefined when DATA_DIR is in memory. */
  get path(): string | undefined {
    const dir = this.options.dataDir;
    return dir === undefined || dir === 'memory://' ? undefined : join(dir, INITIAL_ADMIN_PASSWORD_FILE);
  }

  /** The file's path when the file exists. */
  existing(): string | undefined {
    const file = this.path;
    return file !== undefined && existsSync(file) ? file : undefined;
  }

  async write(password: string): Promise<string | undefined> {
    const file = this.path;
    if (file === undefined || this.options.dataDir === undefined) return undefined;
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    await chmod(file, 0o600); // an existing file keeps its mode on overwrite
    return file;
  }

  /** Deletes the file (the password was changed). Never throws: a leftover file is logged. */
  async remove(): Promise<void> {
    const file = this.path;
    if (file === undefined) return;
    try {
      await rm(file, { force: true });
    } catch (err) {
      this.logger.warn(`could not delete ${file}: ${(err as Error).message}; delete it by hand`);
    }
  }
}
