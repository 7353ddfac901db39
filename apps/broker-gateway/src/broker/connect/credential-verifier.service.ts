import { Injectable } from '@nestjs/common';
import type { AuthenticateRequestDto, AuthenticateResultDto } from '@gatehouse/contracts';
import { ChangeClock } from '../../sessions/change-clock';
import { IdentityClient } from '../../transport/identity-client.service';
import type { AedesClient } from '../aedes.types';
import { AuthAdmission } from './auth-admission.service';

/** A verification shared by every CONNECT that presented the same credentials meanwhile. */
export interface Verification {
  readonly result: Promise<AuthenticateResultDto>;
  /** {@link ChangeClock} position when the verification was queued: compare with `changedSince`. */
  readonly startedAt: number;
}

interface Flight extends Verification {
  readonly clients: Set<AedesClient>;
}

/**
 * Asks admin-api to verify CONNECT credentials (ADR 0100): simultaneous CONNECTs with the same
 * credentials (same cache key: username, password or token, certificate fingerprint) share one request
 * (single-flight), and requests go through {@link AuthAdmission}. A flight is forgotten once answered:
 * its answer is never reused by a later CONNECT unless the verification cache holds it (successes only).
 */
@Injectable()
export class CredentialVerifier {
  private readonly flights = new Map<string, Flight>();

  constructor(
    private readonly identity: IdentityClient,
    private readonly admission: AuthAdmission,
    private readonly clock: ChangeClock,
  ) {}

  /** Flights not answered yet (queued or sent). */
  get pending(): number {
    return this.flights.size;
  }

  /**
   * @param key - the credentials' verification-cache key (a salted hash, never the password)
   * @param request - built only when no flight for `key` exists
   */
  verify(key: string, client: AedesClient, request: () => AuthenticateRequestDto): Verification {
    const existing = this.flights.get(key);
    if (existing) {
      existing.clients.add(client);
      return existing;
    }
    const startedAt = this.clock.now();
    const clients = new Set<AedesClient>([client]);
    const req = request();
    const result = this.admission.run(
      () => this.identity.authenticate(req),
      () => allClosed(clients),
    );
    const flight: Flight = { result, startedAt, clients };
    this.flights.set(key, flight);
    const forget = (): void => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    result.then(forget, forget);
    return flight;
  }
}

function allClosed(clients: Set<AedesClient>): boolean {
  for (const c of clients) if (!c.closed) return false;
  return true;
}
