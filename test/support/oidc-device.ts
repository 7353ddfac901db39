import { createHash, randomBytes } from 'node:crypto';
import {
  DEVICE_CLIENT_ID,
  DEVICE_CLIENT_SECRET,
  loginAtProvider,
  TestBrowser,
  type TestOidcProvider,
} from './oidc-provider';

/**
 * A device's (or its operator's CLI's) leg at the test provider (issue 12, ADR 0027): the code flow of the
 * {@link DEVICE_CLIENT_ID} client with PKCE and resource indicators (RFC 8707), then refresh grants, each
 * answering a JWT access token whose `aud` is the resource asked for.
 */
export class DeviceTokens {
  private constructor(
    private readonly idp: TestOidcProvider,
    private refreshToken: string,
    /** The access token of the code grant (for the first resource). */
    readonly first: string,
  ) {}

  /** Logs `who` in at the provider for `resources` (the first is the code grant's). */
  static async login(
    idp: TestOidcProvider,
    redirectUri: string,
    who: { username: string; password: string },
    resources: string[],
  ): Promise<DeviceTokens> {
    const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
      authorization_endpoint: string;
    };
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('client_id', DEVICE_CLIENT_ID);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', 'openid offline_access mqtt');
    url.searchParams.set('state', randomBytes(16).toString('base64url'));
    url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    for (const r of resources) url.searchParams.append('resource', r);
    const back = await loginAtProvider(new TestBrowser(), url.href, redirectUri, who);
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`no code from the provider: ${back.search}`);
    const answer = await token(idp, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      resource: resources[0],
    });
    if (!answer.refresh_token) throw new Error('no refresh token from the provider');
    return new DeviceTokens(idp, answer.refresh_token, answer.access_token);
  }

  /** A fresh access token for `resource` (a refresh grant). */
  async accessToken(resource: string): Promise<string> {
    const answer = await token(this.idp, {
      grant_type: 'refresh_token',
      refresh_token: this.refreshToken,
      resource,
    });
    if (answer.refresh_token) this.refreshToken = answer.refresh_token;
    return answer.access_token;
  }
}

async function token(
  idp: TestOidcProvider,
  form: Record<string, string>,
): Promise<{ access_token: string; refresh_token?: string }> {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${DEVICE_CLIENT_ID}:${DEVICE_CLIENT_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string; error?: string };
  if (res.status !== 200 || !body.access_token)
    throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  return {
    access_token: body.access_token,
    ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
  };
}
