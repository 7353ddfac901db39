import type { Ability, ForcedSubject } from '@casl/ability';
import type { AccessKind, PermissionContext } from './permission.types';

/** The object an HTTP check is about: `subject('http', { path })` (the query string is ignored). */
export interface HttpResourceSubject {
  readonly path: string;
}

/**
 * The object an MQTT check is about: `subject('mqtt', { topic })`. `topic` is a topic name (matched)
 * or, for `read`, a topic filter (covered), as {@link CompiledPermissions.allows}.
 */
export interface MqttResourceSubject {
  readonly topic: string;
}

/** Everything a {@link GatehouseAbility} can be asked about. */
export type GatehouseSubject =
  | PermissionContext
  | (HttpResourceSubject & ForcedSubject<'http'>)
  | (MqttResourceSubject & ForcedSubject<'mqtt'>);

/**
 * Conditions of the (at most four) CASL rules the factory builds: which compiled trie answers.
 * Not Mongo queries: the factory supplies its own `conditionsMatcher`.
 */
export interface GatehouseConditions {
  readonly context: PermissionContext;
  readonly access: AccessKind;
}

/**
 * The CASL ability the HTTP guard uses: actions are {@link AccessKind}s, subjects `http` / `mqtt`.
 *
 * Always ask with a subject object: `ability.can('read', subject('http', { path: '/api/users' }))`.
 * Asked with only a subject type (`ability.can('read', 'http')`), CASL answers "may read at least one
 * http resource", which is not an authorization decision for a request.
 */
export type GatehouseAbility = Ability<[AccessKind, GatehouseSubject], GatehouseConditions>;
