import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import {
  type AuditActor,
  type AuditEventInput,
  type AuditResult,
  AuditService,
  type AuditTarget,
  auditChanges,
} from '@gatehouse/audit';
import { type AuthSession, RoleService, UserService } from '@gatehouse/identity';
import type { PolicyApplyResult } from '@gatehouse/contracts';
import type { AuditDeclaration } from '../../http/audited.decorator';
import { policySummaryEvent } from '../policy/policy-audit';

/** What the stamp guard leaves on the request for the interceptor and the problem filter. */
export interface AuditStamp {
  declaration: AuditDeclaration;
  publicRoute: boolean;
  /** Set once the event of this request is recorded (never twice). */
  recorded?: boolean;
}

export type AuditedRequest = Request & { session?: AuthSession; audit?: AuditStamp };

type Snapshot = Record<string, unknown> | null;

/** Request body fields that carry a secret, and the field their change is recorded under (as a mark only). */
const SECRET_BODY_FIELDS: Readonly<Record<string, string>> = {
  password: 'password',
  newPassword: 'password',
};

/** The `sub` of a token this instance has just issued (read, not verified: it is our own answer). */
function subjectOf(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function field(o: unknown, name: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[name] : undefined;
}

/**
 * Turns an audited request into its audit event (SPEC 6): actor from the session, target from the
 * path, answer or body, the before/after of a user or role by whitelist, the result from the outcome.
 * A failure to record is logged, never turned into a failure of the request (the change is made).
 */
@Injectable()
export class AuditRecorder {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly audit: AuditService,
    private readonly users: UserService,
    private readonly roles: RoleService,
  ) {}

  /** The target's state before the handler runs (for a diff), or null. */
  async before(req: AuditedRequest): Promise<Snapshot> {
    const d = req.audit?.declaration;
    if (!d) return null;
    const id = this.targetId(req, d, undefined);
    if (d.diff && id) return this.snapshot(d.target, id);
    const owner = d.ownerParam ? str(req.params[d.ownerParam]) : null;
    return owner ? this.snapshot('user', owner) : null;
  }

  /** After the handler answered: a success event. */
  async succeeded(req: AuditedRequest, before: Snapshot, answer: unknown): Promise<void> {
    const stamp = req.audit;
    if (!stamp || stamp.recorded) return;
    stamp.recorded = true;
    const d = stamp.declaration;
    await this.safely(async () => {
      const body = req.body as unknown;
      if (d.action === 'auth.login') {
        // the token's subject: a directory user may log in under a name a local user holds (ADR 0024)
        const sub = subjectOf(str(field(answer, 'token')));
        const user = sub
          ? await this.users.get(sub).catch(() => null)
          : await this.users.findByUsername(str(field(body, 'username')) ?? '');
        const actor: AuditActor | null = user ? { id: user.id, username: user.username } : null;
        const action = d.labelledAction && field(body, 'label') !== undefined ? d.labelledAction : d.action;
        return this.event(req, action, 'success', actor, {
          type: 'user',
          id: user?.id ?? null,
          name: user?.username ?? null,
        });
      }
      if (d.action === 'policy.apply') {
        // a dry run changes nothing: no event (ADR 0028); the entity events were recorded by the apply
        if (field(answer, 'applied') !== true) return;
        await this.audit.record(
          policySummaryEvent(answer as PolicyApplyResult, this.actor(req), req.ip ?? null),
        );
        return;
      }
      const id = this.targetId(req, d, answer);
      const after = d.diff && id && !d.action.endsWith('.delete') ? await this.snapshot(d.target, id) : null;
      const creates = d.action.endsWith('.create');
      // a changed secret is recorded as a mark; on a create that a password was set goes without saying
      const secrets = creates
        ? []
        : [
            ...Object.entries(SECRET_BODY_FIELDS)
              .filter(([f]) => field(body, f) !== undefined)
              .map(([, recordedAs]) => recordedAs),
            ...(d.secrets ?? []),
          ];
      const changes = d.diff ? auditChanges(d.target, creates ? null : before, after, secrets) : null;
      return this.event(
        req,
        d.action,
        'success',
        this.actor(req),
        {
          type: d.target,
          id,
          name: this.nameOf(req, before, after, answer),
        },
        changes,
      );
    });
  }

  /**
   * After a refusal (guards, validation, the handler): a `denied` (401/403) or `failure` event.
   * Not recorded: 429 answers (the flood control itself: the failures that tripped it were recorded),
   * and requests without an authenticated caller on a protected route (nothing was attempted by anyone).
   */
  async refused(
    req: AuditedRequest,
    status: number,
    code?: string,
    /** Whom a refused federated login is about (the provider's user, ADR 0023). */
    about?: { type: string; name: string | null },
  ): Promise<void> {
    const stamp = req.audit;
    if (!stamp || stamp.recorded) return;
    if (status === 429) return;
    if (!req.session && !stamp.publicRoute) return;
    stamp.recorded = true;
    const d = stamp.declaration;
    const result: AuditResult =
      d.action === 'auth.login' || (status !== 401 && status !== 403) ? 'failure' : 'denied';
    const body = req.body as unknown;
    const action = d.labelledAction && field(body, 'label') !== undefined ? d.labelledAction : d.action;
    await this.safely(() =>
      this.event(req, action, result, this.actor(req), {
        // a directory user refused because a Gatehouse user holds its name (ADR 0024) is told apart
        type:
          d.action === 'auth.login'
            ? (about?.type ?? (code === 'IDENTITY.FEDERATED_NAME_CLASH' ? 'ldap-user' : 'user'))
            : d.target,
        id: d.action === 'auth.login' ? null : this.targetId(req, d, undefined),
        name: about ? about.name : this.nameOf(req, null, null, undefined),
      }),
    );
  }

  /** The caller's user or token, the path parameter, or (a create) the answer's id or fingerprint. */
  private targetId(req: AuditedRequest, d: AuditDeclaration, answer: unknown): string | null {
    if (d.targetIsCaller) return (d.target === 'token' ? req.session?.tokenId : req.session?.userId) ?? null;
    if (d.idParam) return str(req.params[d.idParam]);
    return str(field(answer, 'id')) ?? str(field(answer, 'fingerprint'));
  }

  private actor(req: AuditedRequest): AuditActor | null {
    return req.session ? { id: req.session.userId, username: req.session.username } : null;
  }

  private nameOf(req: AuditedRequest, before: Snapshot, after: Snapshot, answer: unknown): string | null {
    const body = req.body as unknown;
    for (const source of [after, before, answer, body]) {
      const name = str(field(source, 'username')) ?? str(field(source, 'name'));
      if (name !== null) return name.slice(0, 256);
    }
    return req.audit?.declaration.targetIsCaller ? (req.session?.username ?? null) : null;
  }

  private async event(
    req: AuditedRequest,
    action: AuditEventInput['action'],
    result: AuditResult,
    actor: AuditActor | null,
    target: AuditTarget,
    changes: AuditEventInput['changes'] = null,
  ): Promise<void> {
    await this.audit.record({ action, result, actor, target, changes, sourceAddress: req.ip ?? null });
  }

  private async snapshot(type: string, id: string): Promise<Snapshot> {
    try {
      if (type === 'user') return { ...(await this.users.get(id)) };
      if (type === 'role') return { ...(await this.roles.get(id)) };
    } catch {
      return null; // not found: the handler answers 404, recorded as a failure
    }
    return null;
  }

  private async safely(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.error(`audit event not recorded: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}
