import { Inject, Injectable } from '@nestjs/common';
import type { PermissionRuleDto, PrincipalDto } from '@gatehouse/contracts';
import { CLIENT_ID_PLACEHOLDER, CompiledPermissions } from '@gatehouse/rbac';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/** A session's hold on a compiled matcher; release it when the session ends or switches matchers. */
export interface MatcherLease {
  readonly permissions: CompiledPermissions;
  /** Whether the matcher is shared with other sessions of the same principal. */
  readonly shared: boolean;
  /** Idempotent. */
  release(): void;
}

interface Entry {
  readonly key: string;
  readonly userId: string;
  readonly username: string;
  readonly rules: readonly PermissionRuleDto[];
  readonly permissions: CompiledPermissions;
  refs: number;
}

/**
 * Compiled permissions shared by the sessions of one principal (ADR 0100). A matcher is a pure function
 * of the username and the `mqtt` rules, unless a rule uses `${clientId}`: then every session compiles
 * its own, as before. Shared matchers are keyed by (userId, permissionsVersion) and only reused when
 * username and rules are equal too (a stale or inconsistent principal never gets another one's matcher).
 * Reference counted: a matcher no session uses stays in a bounded idle LRU (`MQTT_MATCHER_IDLE_MAX`) so
 * that a reconnect does not compile again, and is dropped on any change event for its user.
 */
@Injectable()
export class MatcherPool {
  private readonly live = new Map<string, Entry>();
  /** Entries with no session, oldest first. */
  private readonly idle = new Map<string, Entry>();
  /** The idle keys of each user, so that a change event drops them without scanning {@link idle}. */
  private readonly idleByUser = new Map<string, Set<string>>();
  /** What acquire derives from a principal object; the verification cache hands out the same object per user. */
  private readonly analysed = new WeakMap<PrincipalDto, Analysis>();
  private compiles = 0;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  /**
   * The matcher for `principal` as seen by client `clientId`.
   * @throws RbacError when a rule is invalid (fail closed: the caller refuses or ends the session)
   */
  acquire(principal: PrincipalDto, clientId: string): MatcherLease {
    const { key, rules } = this.analyse(principal);
    if (key === null) {
      return { permissions: this.compile(rules, principal.username, clientId), shared: false, release: noop };
    }
    let entry = this.live.get(key);
    if (!entry) {
      entry = this.idle.get(key);
      if (entry) this.dropIdle(entry);
    }
    if (entry && !sameRules(entry, principal.username, rules)) {
      // Same version, other rules: never share across that; compile privately.
      if (entry.refs === 0) this.keepIdle(entry);
      return { permissions: this.compile(rules, principal.username, clientId), shared: false, release: noop };
    }
    if (!entry) {
      entry = {
        key,
        userId: principal.userId,
        username: principal.username,
        rules,
        permissions: this.compile(rules, principal.username, clientId),
        refs: 0,
      };
    }
    if (entry.refs === 0) this.live.set(key, entry);
    entry.refs++;
    return this.lease(entry);
  }

  /** Drops the idle matchers of a user (any change event): they would only match an outdated principal. */
  evictUser(userId: string): void {
    for (const key of this.idleByUser.get(userId) ?? []) this.idle.delete(key);
    this.idleByUser.delete(userId);
  }

  /** Counters for tests and diagnostics. */
  stats(): { live: number; idle: number; compiles: number } {
    return { live: this.live.size, idle: this.idle.size, compiles: this.compiles };
  }

  /** The `mqtt` rules, and the sharing key (null: a rule uses `${clientId}`, compile per session). */
  private analyse(principal: PrincipalDto): Analysis {
    let a = this.analysed.get(principal);
    if (!a) {
      const rules = principal.permissions.filter((p) => p.context === 'mqtt');
      const perClient = rules.some((r) => r.resource.includes(CLIENT_ID_PLACEHOLDER));
      a = { rules, key: perClient ? null : `${principal.userId}\u0000${principal.permissionsVersion}` };
      this.analysed.set(principal, a);
    }
    return a;
  }

  private lease(entry: Entry): MatcherLease {
    let released = false;
    return {
      permissions: entry.permissions,
      shared: true,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.refs > 0) return;
        if (this.live.get(entry.key) === entry) this.live.delete(entry.key);
        this.keepIdle(entry);
      },
    };
  }

  private keepIdle(entry: Entry): void {
    if (this.config.matcherIdleMax === 0) return;
    this.dropIdle(entry); // re-inserted last: most recently used
    this.idle.set(entry.key, entry);
    let keys = this.idleByUser.get(entry.userId);
    if (!keys) this.idleByUser.set(entry.userId, (keys = new Set()));
    keys.add(entry.key);
    while (this.idle.size > this.config.matcherIdleMax) {
      this.dropIdle(this.idle.values().next().value as Entry);
    }
  }

  private dropIdle(entry: Entry): void {
    if (!this.idle.delete(entry.key)) return;
    const keys = this.idleByUser.get(entry.userId);
    keys?.delete(entry.key);
    if (keys?.size === 0) this.idleByUser.delete(entry.userId);
  }

  private compile(
    rules: readonly PermissionRuleDto[],
    username: string,
    clientId: string,
  ): CompiledPermissions {
    this.compiles++;
    return CompiledPermissions.compile(rules, { username, clientId });
  }
}

interface Analysis {
  readonly rules: readonly PermissionRuleDto[];
  readonly key: string | null;
}

function sameRules(e: Entry, username: string, rules: readonly PermissionRuleDto[]): boolean {
  if (e.rules === rules) return e.username === username;
  if (e.username !== username || e.rules.length !== rules.length) return false;
  for (let i = 0; i < rules.length; i++) {
    const a = e.rules[i];
    const b = rules[i];
    if (a.resource !== b.resource || a.operation !== b.operation || a.context !== b.context) return false;
    if (a.effect !== b.effect || a.maxQos !== b.maxQos || a.retain !== b.retain) return false;
  }
  return true;
}

function noop(): void {}
