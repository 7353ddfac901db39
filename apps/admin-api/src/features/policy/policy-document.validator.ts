import { HttpStatus, Injectable } from '@nestjs/common';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import {
  permissionKey,
  POLICY_DOCUMENT_SCHEMA,
  type PolicyDocument,
  type PolicyPermission,
} from '@gatehouse/contracts';
import type { PermissionInput, PolicyInput } from '@gatehouse/identity';
import { validatePermissionRule } from '@gatehouse/rbac';
import { Problem } from '../../http/problem';

/** At most this many schema errors are named in an answer. */
const MAX_ERRORS = 10;

const invalid = (errors: string[]): Problem =>
  new Problem(HttpStatus.BAD_REQUEST, 'POLICY.INVALID_DOCUMENT', errors.join('; '), { errors });

function describe(e: ErrorObject): string {
  const at = e.instancePath === '' ? '/' : e.instancePath;
  if (e.keyword === 'additionalProperties')
    return `${at}: unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
  if (e.keyword === 'const' || e.keyword === 'enum')
    return `${at}: ${e.message ?? 'invalid'} (${JSON.stringify((e.params as { allowedValue?: unknown; allowedValues?: unknown }).allowedValue ?? (e.params as { allowedValues?: unknown }).allowedValues)})`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

/**
 * A policy document in (ADR 0028): YAML or JSON text parsed, then the JSON Schema published with the
 * SDK (ajv, draft 2020-12), then the rules of the role and user routes: every permission through
 * `validatePermissionRule` (patterns, placeholders, limits only on an mqtt allow with write). Errors
 * name the JSON pointer of what is wrong: 400 `POLICY.INVALID_DOCUMENT`.
 */
@Injectable()
export class PolicyDocumentValidator {
  private readonly validate: ValidateFunction<PolicyDocument>;

  constructor() {
    const ajv = new Ajv2020({ allErrors: false, strict: true, useDefaults: false });
    this.validate = ajv.compile<PolicyDocument>(POLICY_DOCUMENT_SCHEMA);
  }

  /** YAML text (a JSON text is YAML too) → a value; anchors and aliases are bounded. */
  parseYaml(text: string): unknown {
    try {
      return parseYaml(text, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: true });
    } catch (err) {
      const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : 'not YAML';
      throw new Problem(
        HttpStatus.BAD_REQUEST,
        'POLICY.INVALID_YAML',
        `the document is not valid YAML: ${detail}`,
      );
    }
  }

  /** The document as the identity lib takes it (defaults applied), or a 400 naming what is wrong. */
  toInput(value: unknown): PolicyInput {
    if (!this.validate(value)) {
      const errors = (this.validate.errors ?? []).slice(0, MAX_ERRORS).map(describe);
      throw invalid(errors.length > 0 ? errors : ['/: not a policy document']);
    }
    const doc = value;
    const checked = new Map<string, string | null>();
    const errors: string[] = [];
    const permissions = (list: PolicyPermission[] | undefined, at: string): PermissionInput[] =>
      (list ?? []).map((p, i) => {
        const key = permissionKey(p);
        let message = checked.get(key);
        if (message === undefined) {
          try {
            validatePermissionRule(p);
            message = null;
          } catch (err) {
            message = (err as Error).message;
          }
          checked.set(key, message);
        }
        if (message !== null && errors.length < MAX_ERRORS) errors.push(`${at}/${i}: ${message}`);
        return {
          context: p.context,
          resource: p.resource,
          operation: p.operation,
          ...(p.effect === 'deny' ? { effect: 'deny' as const } : {}),
          ...(p.maxQos !== undefined ? { maxQos: p.maxQos } : {}),
          ...(p.retain !== undefined ? { retain: p.retain } : {}),
        };
      });
    const input: PolicyInput = {
      roles: (doc.roles ?? []).map((r, i) => ({
        name: r.name,
        description: r.description ?? null,
        permissions: permissions(r.permissions, `/roles/${i}/permissions`),
        externalGroups: r.externalGroups ?? [],
      })),
      users: (doc.users ?? []).map((u, i) => ({
        username: u.username,
        enabled: u.enabled ?? true,
        roles: u.roles ?? [],
        permissions: permissions(u.permissions, `/users/${i}/permissions`),
      })),
    };
    if (errors.length > 0) throw invalid(errors);
    return input;
  }
}
