import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CertificateService,
  type GrantType,
  type PermissionInput,
  UserService,
  type UserView,
} from '@gatehouse/identity';
import { inTransaction, isCanonicalUuid } from '@gatehouse/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { parseAndVerifyCsr } from '../ca/csr';
import { CertificateAuthority } from '../ca/certificate-authority.service';
import { ClientRegistryError } from '../client-registry.error';
import { CLIENT_REGISTRY_OPTIONS, type ClientRegistryOptions } from '../client-registry.options';
import { REGISTRATION_STATES, RegistrationRequestEntity, type RegistrationState } from '../entities';
import { toRequestView, type RegistrationRequestView } from './registration-view';
import { sweepRequests } from './request-store';

export interface GrantInput {
  roles?: string[];
  permissions?: PermissionInput[];
}

export interface GrantResult {
  request: RegistrationRequestView;
  user: UserView;
}

/**
 * The administrator side of the client registry (SPEC 4): list requests, grant (creates the user with
 * no permissions unless granted here, grant types from the request's credentials, and signs the CSR),
 * reject. The no-escalation check on what a grant hands out is the caller's (admin-api).
 */
@Injectable()
export class ApprovalService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CLIENT_REGISTRY_OPTIONS) private readonly options: ClientRegistryOptions,
    private readonly users: UserService,
    private readonly certificates: CertificateService,
    private readonly ca: CertificateAuthority,
  ) {}

  /** Newest first; `state` filters. Cursor: base64url of the last row's (createdAt, id). */
  async list(q: {
    state?: RegistrationState;
    limit: number;
    cursor?: string;
  }): Promise<{ items: RegistrationRequestView[]; nextCursor: string | null }> {
    await sweepRequests(this.dataSource.manager, this.options.grantGraceSeconds);
    const qb = this.dataSource
      .getRepository(RegistrationRequestEntity)
      .createQueryBuilder('r')
      .orderBy('r.createdAt', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(q.limit + 1);
    if (q.state) qb.andWhere('r.state = :state', { state: q.state });
    if (q.cursor) {
      const [at, id] = decodeCursor(q.cursor);
      qb.andWhere('(r.createdAt, r.id) < (:at, :id)', { at, id });
    }
    const entities = await qb.getMany();
    const more = entities.length > q.limit;
    const items = entities.slice(0, q.limit).map(toRequestView);
    const last = entities[q.limit - 1];
    return { items, nextCursor: more && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /**
   * How many requests are in each state (every state listed, 0 included). Read-only: a pending request
   * past its expiry counts as `expired` without being swept (for the metrics scrape, SPEC 6).
   */
  async countByState(): Promise<Record<RegistrationState, number>> {
    const rows: { state: RegistrationState; n: number }[] = await this.dataSource.query(
      `SELECT CASE WHEN state = 'pending' AND expires_at <= now() THEN 'expired' ELSE state END AS state,
              count(*)::int AS n
         FROM registration_requests GROUP BY 1`,
    );
    const counts = Object.fromEntries(REGISTRATION_STATES.map((s) => [s, 0])) as Record<
      RegistrationState,
      number
    >;
    for (const r of rows) if (r.state in counts) counts[r.state] += Number(r.n);
    return counts;
  }

  async get(id: string): Promise<RegistrationRequestView> {
    await sweepRequests(this.dataSource.manager, this.options.grantGraceSeconds);
    const row = isCanonicalUuid(id.toLowerCase())
      ? await this.dataSource.getRepository(RegistrationRequestEntity).findOne({ where: { id } })
      : null;
    if (!row)
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    return toRequestView(row);
  }

  /**
   * Grants a pending request in one transaction: creates the user (the request's password hash; grant
   * types `password` and/or `certificate`), signs the CSR (CN = username) and registers the certificate.
   */
  async grant(id: string, input: GrantInput, decidedBy: string): Promise<GrantResult> {
    const { userId } = await inTransaction(this.dataSource, async (m) => {
      const r = await this.lockPending(m, id);
      const grantTypes: GrantType[] = [];
      if (r.passwordHash) grantTypes.push({ method: 'password', isRequired: false });
      if (r.csrPem) grantTypes.push({ method: 'certificate', isRequired: false });
      const user = await this.users.create(
        { username: r.username, roles: input.roles ?? [], permissions: input.permissions ?? [], grantTypes },
        { passwordHash: r.passwordHash, manager: m },
      );
      let certificatePem: string | null = null;
      let fingerprint: string | null = null;
      if (r.csrPem) {
        const issued = await this.ca.issue(await parseAndVerifyCsr(r.csrPem, r.username), r.username);
        await this.certificates.record(m, user.id, issued);
        certificatePem = issued.certificatePem;
        fingerprint = issued.fingerprint;
      }
      await m.query(
        `UPDATE registration_requests SET state = 'granted', decided_at = now(), decided_by = $2, user_id = $3,
                certificate_pem = $4, certificate_fingerprint = $5 WHERE id = $1`,
        [id, decidedBy, user.id, certificatePem, fingerprint],
      );
      return { userId: user.id };
    });
    return { request: await this.get(id), user: await this.users.get(userId) };
  }

  /** Rejects a pending request. The device's polls with the same credentials then answer 403 until it expires. */
  async reject(id: string, decidedBy: string): Promise<RegistrationRequestView> {
    await inTransaction(this.dataSource, async (m) => {
      await this.lockPending(m, id);
      await m.query(
        `UPDATE registration_requests SET state = 'rejected', decided_at = now(), decided_by = $2 WHERE id = $1`,
        [id, decidedBy],
      );
    });
    return this.get(id);
  }

  /** Inside a transaction: the request, locked, and still pending and unexpired. */
  private async lockPending(m: EntityManager, id: string): Promise<RegistrationRequestEntity> {
    if (!isCanonicalUuid(id.toLowerCase()))
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    const r = await m
      .getRepository(RegistrationRequestEntity)
      .createQueryBuilder('r')
      .addSelect('r.passwordHash')
      .where('r.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
    if (!r)
      throw new ClientRegistryError('REGISTRY.REQUEST_NOT_FOUND', `registration request ${id} not found`);
    if (r.state === 'expired' || (r.state === 'pending' && r.expiresAt.getTime() <= Date.now())) {
      throw new ClientRegistryError('REGISTRY.REQUEST_EXPIRED', `registration request ${id} has expired`);
    }
    if (r.state !== 'pending')
      throw new ClientRegistryError(
        'REGISTRY.REQUEST_NOT_PENDING',
        `registration request ${id} is already ${r.state}`,
      );
    return r;
  }
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ a: at.toISOString(), i: id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown; i?: unknown };
    if (
      typeof p.a === 'string' &&
      typeof p.i === 'string' &&
      isCanonicalUuid(p.i.toLowerCase()) &&
      !Number.isNaN(Date.parse(p.a))
    )
      return [p.a, p.i];
  } catch {
    /* fall through */
  }
  throw new ClientRegistryError('REGISTRY.INVALID_CURSOR', 'cursor is not one this API issued');
}
