import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PolicyDocumentValidator } from '../features/policy/policy-document.validator';
import { Problem } from '../http/problem';
import { ConfigError } from './config-error';

/** Policy as code (issue 13, ADR 0028). */
export interface PolicyConfig {
  /** `POLICY_MAX_BYTES`: the largest body `POST /api/policy/apply` takes (default 64 MiB). */
  maxBytes: number;
  /** `GATEHOUSE_BOOTSTRAP_FILE`: a policy document applied at the first start, read and checked at start. */
  bootstrap: { path: string; sha256: string; document: unknown } | null;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Reads `POLICY_MAX_BYTES` and `GATEHOUSE_BOOTSTRAP_FILE`; a missing or invalid file stops the start. */
export function parsePolicyConfig(env: Record<string, string | undefined>): PolicyConfig {
  const rawMax = env.POLICY_MAX_BYTES;
  let maxBytes = DEFAULT_MAX_BYTES;
  if (rawMax !== undefined && rawMax !== '') {
    if (!/^\d+$/.test(rawMax) || Number(rawMax) < 1024 || Number(rawMax) > 1024 * 1024 * 1024)
      throw new ConfigError(
        'POLICY_MAX_BYTES',
        `must be a number of bytes 1024..1073741824, got "${rawMax}"`,
      );
    maxBytes = Number(rawMax);
  }
  const file = env.GATEHOUSE_BOOTSTRAP_FILE || undefined;
  if (file === undefined) return { maxBytes, bootstrap: null };
  const path = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      'GATEHOUSE_BOOTSTRAP_FILE',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const validator = new PolicyDocumentValidator();
  let document: unknown;
  try {
    document = validator.parseYaml(bytes.toString('utf8'));
    validator.toInput(document);
  } catch (err) {
    if (err instanceof Problem)
      throw new ConfigError(
        'GATEHOUSE_BOOTSTRAP_FILE',
        `${path} is not a valid policy document: ${err.message}`,
      );
    throw err;
  }
  return {
    maxBytes,
    bootstrap: { path, sha256: createHash('sha256').update(bytes).digest('hex'), document },
  };
}
