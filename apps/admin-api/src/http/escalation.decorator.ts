import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ApiProblems } from './api-problems.decorator';

export const ROUTE_ESCALATION = 'gatehouse:route-escalation';

/** The OpenAPI extension that documents a route's declaration (walked by the escalation test). */
export const ESCALATION_EXTENSION = 'x-gatehouse-escalation';

/**
 * What a route hands out (SPEC 2.2, ADR 0004):
 * - `permissions`: the body's `permissions` (for an update, those it adds);
 * - `roles`: the body's `roles`, role ids whose permissions the grantee gains (for an update, those it adds);
 * - `credentials-of-target-user`: acts on the account or credentials of the user in the path (password,
 *   state, tokens, certificates, deletion): the caller must hold every effective permission of that user
 *   (unless it is the caller);
 * - `denies-of-role`: deleting the role `:id` lifts its denies (SPEC 1.4.6) from every member: the
 *   caller must hold what they block (ADR 0019);
 * - `permissions-of-version`: the permissions of the version (body `version`) of the role `:id`'s
 *   history that a rollback restores, checked exactly as a PATCH sending them (ADR 0021);
 * - `external-groups`: the body's `externalGroups` that the role `:id` lacks hand the role to the
 *   members of those directory groups, as assigning it would: the caller must hold every permission
 *   of the role (ADR 0024);
 * - `policy-document`: everything a policy document hands out (ADR 0028): every role's and user's
 *   permissions and role assignments it adds, the denies it removes (also by deleting roles), and the
 *   accounts of the users it changes or deletes. Checked by `PolicyEscalation` with the same rules, inside
 *   the apply's transaction against the state it locked (the guard could only see a state that may
 *   change before the apply runs).
 */
export type HandedOut =
  | 'permissions'
  | 'roles'
  | 'credentials-of-target-user'
  | 'denies-of-role'
  | 'permissions-of-version'
  | 'external-groups'
  | 'policy-document';

/**
 * Who receives it, and where the request names them:
 * - `new-user`: the user the body creates (`username`);
 * - `user`: the user `:id` of the path;
 * - `new-role` / `role`: the role the body creates / the role `:id` (every member, present or future);
 * - `registration-request`: the user that granting the registration request `:id` creates;
 * - `policy`: every role and user a policy document names (or, with prune, deletes).
 */
export type EscalationTarget = 'new-user' | 'user' | 'new-role' | 'role' | 'registration-request' | 'policy';

/** What each target can receive (checked at compile time). */
interface HandedOutTo {
  'new-user': 'permissions' | 'roles';
  user: Exclude<HandedOut, 'policy-document'>;
  'new-role': 'permissions';
  role: 'permissions' | 'denies-of-role' | 'permissions-of-version' | 'external-groups';
  'registration-request': 'permissions' | 'roles';
  policy: 'policy-document';
}

/** A route's declaration, as stored in its metadata and in its OpenAPI operation. */
export type EscalationDeclaration =
  | { readonly to: EscalationTarget; readonly handsOut: readonly HandedOut[] }
  | { readonly handsOut: 'none'; readonly reason: string };

/**
 * Declares what a route hands out; the global `EscalationGuard` enforces it before the handler runs,
 * so no handler has to remember the check (../shared/CONVENTIONS.md "Request path"). Also writes the declaration
 * into the OpenAPI operation as `x-gatehouse-escalation`.
 *
 * @example `@HandsOut({ to: 'user', handsOut: ['permissions', 'roles', 'credentials-of-target-user'] })`
 */
export function HandsOut<T extends EscalationTarget>(declaration: {
  readonly to: T;
  readonly handsOut: readonly [HandedOutTo[T], ...HandedOutTo[T][]];
}): MethodDecorator {
  const stored: EscalationDeclaration = { to: declaration.to, handsOut: [...declaration.handsOut] };
  return applyDecorators(
    SetMetadata(ROUTE_ESCALATION, stored),
    ApiExtension(ESCALATION_EXTENSION, stored),
    // the EscalationGuard's answers: 403 for what the caller does not hold, 400 for what it cannot read
    ApiProblems('AUTH.ESCALATION', 'VALIDATION'),
  );
}

/** Declares that a write route hands out nothing, and why (so that "nothing" is a decision, not an oversight). */
export function HandsOutNothing(reason: string): MethodDecorator {
  if (reason.trim().length === 0) throw new Error('HandsOutNothing needs a reason');
  const stored: EscalationDeclaration = { handsOut: 'none', reason };
  return applyDecorators(SetMetadata(ROUTE_ESCALATION, stored), ApiExtension(ESCALATION_EXTENSION, stored));
}
