type Json = Record<string, unknown>;

export interface PermissionBody {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
}

export interface UserView {
  id: string;
  username: string;
  roles: string[];
  enabled: boolean;
  version: number;
  mqttPublishPrefix: string | null;
}

export interface RoleView {
  id: string;
  name: string;
  version: number;
}

/** The admin REST API as an operator uses it (SPEC 2), with fetch. Throws on an unexpected status. */
export class AdminRestClient {
  private constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<AdminRestClient> {
    const res = await fetch(`${baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = (await res.json()) as Json;
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    return new AdminRestClient(baseUrl, body.token as string);
  }

  async createRole(name: string, permissions: PermissionBody[]): Promise<RoleView> {
    return (await this.call('POST', '/api/roles', { name, permissions }, 201)) as unknown as RoleView;
  }

  async updateRole(id: string, permissions: PermissionBody[]): Promise<RoleView> {
    const current = (await this.call('GET', `/api/roles/${id}`, undefined, 200)) as unknown as RoleView;
    return (await this.call(
      'PATCH',
      `/api/roles/${id}`,
      { permissions, version: current.version },
      200,
    )) as unknown as RoleView;
  }

  async createUser(body: {
    username: string;
    password: string;
    roles?: string[];
    permissions?: PermissionBody[];
    mqttPublishPrefix?: string;
    grantTypes?: { method: 'password' | 'token' | 'certificate'; isRequired: boolean }[];
  }): Promise<UserView> {
    return (await this.call(
      'POST',
      '/api/users',
      { roles: [], permissions: [], ...body },
      201,
    )) as unknown as UserView;
  }

  async getUser(id: string): Promise<UserView> {
    return (await this.call('GET', `/api/users/${id}`, undefined, 200)) as unknown as UserView;
  }

  /** PATCH with the current version (read first: no lost update). */
  async updateUser(
    id: string,
    changes: { roles?: string[]; permissions?: PermissionBody[]; enabled?: boolean },
  ): Promise<UserView> {
    const current = await this.getUser(id);
    return (await this.call(
      'PATCH',
      `/api/users/${id}`,
      { ...changes, version: current.version },
      200,
    )) as unknown as UserView;
  }

  async deleteUser(id: string): Promise<void> {
    await this.call('DELETE', `/api/users/${id}`, undefined, 204);
  }

  /** Logs in as another user and returns the token (a long-lived API token with `label`). */
  async loginAs(username: string, password: string, label?: string): Promise<string> {
    const res = await fetch(`${this.baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password, ...(label ? { label } : {}) }),
    });
    const body = (await res.json()) as Json;
    if (res.status !== 200)
      throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(body)}`);
    return body.token as string;
  }

  async tokens(userId: string): Promise<{ id: string; label: string | null; revokedAt: string | null }[]> {
    return (await this.call('GET', `/api/users/${userId}/tokens`, undefined, 200)).items as {
      id: string;
      label: string | null;
      revokedAt: string | null;
    }[];
  }

  async revokeToken(userId: string, tokenId: string): Promise<void> {
    await this.call('DELETE', `/api/users/${userId}/tokens/${tokenId}`, undefined, 204);
  }

  private async call(method: string, path: string, body: unknown, expected: number): Promise<Json> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status !== expected)
      throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Json) : {};
  }
}
