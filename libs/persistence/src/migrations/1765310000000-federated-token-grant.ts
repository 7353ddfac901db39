import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC 2.1a: "a Gatehouse long-lived token as the password always works" for federated users on MQTT.
 * Federated users were created holding the password grant only, so a token of theirs was refused on
 * CONNECT ("grant type token not held", CONNACK 5). They now hold `token` as well (not required); this
 * gives it to the federated users made before.
 */
export class FederatedTokenGrant1765310000000 implements MigrationInterface {
  name = 'FederatedTokenGrant1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE users
         SET grant_types = grant_types || '[{"method": "token", "isRequired": false}]'::jsonb,
             version = version + 1, updated_at = now()
       WHERE identity_provider <> 'local'
         AND NOT grant_types @> '[{"method": "token"}]'::jsonb`);
  }

  async down(): Promise<void> {
    // the grant is kept: removing it would refuse tokens that work (an admin can remove it per user)
  }
}
