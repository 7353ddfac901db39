/**
 * Issue 13 "Done when" (the CLI): the real binary (packages/cli/bin/gatehouse.js, spawned with
 * node) against a running Gatehouse: admin-api and one broker gateway in this process, on free
 * ports. Each spawn gets its own environment: a temporary config dir, no GATEHOUSE_* but what the
 * test gives.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { parse, stringify } from 'yaml';
import { GatehouseApiError } from '@gatehouse/sdk';
import { ADMIN_PASSWORD, type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { closed, connectClient, type Endpoint } from '../support/gateway/mqtt-helpers';
import { sdkClient } from '../support/sdk';

jest.setTimeout(120_000);

const BIN = join(__dirname, '..', '..', 'packages', 'cli', 'bin', 'gatehouse.js');
const ALICE_PASSWORD = 'Alice-passw0rd-1';
const DEVICE_PASSWORD = 'Device-passw0rd-1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('gatehouse CLI (issue 13)', () => {
  let stack: GatewayStack;
  let url: string;
  let work: string;
  let adminDir: string;
  let aliceDir: string;
  let cacheDir: string;

  /** Runs the binary; `stdin` is written and closed (an empty stdin when not given). */
  const gh = (
    args: string[],
    opts: { stdin?: string; configDir?: string; env?: Record<string, string> } = {},
  ): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: work,
            XDG_CACHE_HOME: cacheDir,
            GATEHOUSE_CONFIG_DIR: opts.configDir ?? adminDir,
            ...opts.env,
          },
          timeout: 30_000,
        },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin!.end(opts.stdin ?? '');
    });
  /** `gh`, asserting exit 0 (and showing stderr when it was not). */
  const ok = async (args: string[], opts: Parameters<typeof gh>[1] = {}): Promise<Run> => {
    const r = await gh(args, opts);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: r.stderr });
    return r;
  };
  const adminSdk = async () =>
    sdkClient(
      url,
      (await sdkClient(url).auth.login({ body: { username: 'admin', password: ADMIN_PASSWORD } })).data.token,
    );

  beforeAll(async () => {
    stack = await startGatewayStack();
    url = stack.admin.httpUrl;
    work = await mkdtemp(join(tmpdir(), 'gatehouse-cli-e2e-'));
    adminDir = join(work, 'admin-config');
    aliceDir = join(work, 'alice-config');
    cacheDir = join(work, 'cache');
  });

  afterAll(async () => {
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('--help on the root and on subcommands; a usage error exits 2', async () => {
    const root = await ok(['--help']);
    for (const c of [
      'login',
      'users',
      'roles',
      'grant',
      'check',
      'registry',
      'tokens',
      'sessions',
      'audit',
      'completion',
    ])
      expect(root.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect((await ok(['registry', 'approve', '--help'])).stdout).toContain('--yes');
    expect((await ok(['users', 'create', '--help'])).stdout).toContain('--password-stdin');
    expect((await ok(['check', '--help'])).stdout).toContain('--client-id');
    const usage = await gh(['check', 'alice', 'ftp', 'x', 'read']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("'ftp' is invalid for argument 'context'. mqtt or http");
    expect((await gh(['users', 'frobnicate'])).code).toBe(2);
  });

  it('a wrong password: exit 1 with the server’s detail, nothing stored', async () => {
    const r = await gh(['login', '--url', url, '--username', 'admin', '--password-stdin'], {
      stdin: 'wrong\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'gatehouse: invalid username or password (IDENTITY.INVALID_CREDENTIALS, HTTP 401)\n',
    );
    await expect(stat(join(adminDir, 'credentials.json'))).rejects.toThrow(/ENOENT/);
  });

  it('an unreachable server is named', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await gh(['whoami', '--url', `http://127.0.0.1:${port}`], { env: { GATEHOUSE_TOKEN: 'x' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gatehouse: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });

  it('login (password on stdin) stores url, token and expiry with mode 0600; whoami', async () => {
    const started = Date.now();
    const r = await ok(['login', '--url', url, '--username', 'admin', '--password-stdin'], {
      stdin: `${ADMIN_PASSWORD}\n`,
    });
    process.stdout.write(`one login spawn: ${Date.now() - started} ms\n`);
    expect(r.stdout).toContain(`Logged in to ${url} as admin`);
    const file = join(adminDir, 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(adminDir)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored).toEqual(
      expect.objectContaining({
        url,
        username: 'admin',
        token: expect.any(String),
        expiresAt: expect.any(String),
      }),
    );
    expect(r.stdout + r.stderr).not.toContain(stored.token);
    // the stored token is the server's: it answers /api/me
    expect((await sdkClient(url, stored.token).auth.me()).data.username).toBe('admin');

    const who = await ok(['whoami']);
    expect(who.stdout).toMatch(/^Username:\s+admin$/m);
    expect(JSON.parse((await ok(['whoami', '--json'])).stdout)).toEqual(
      expect.objectContaining({ username: 'admin', effectivePermissions: expect.any(Array) }),
    );
    // a stored token is never sent to another server
    const other = await gh(['whoami', '--url', 'http://127.0.0.1:9']);
    expect(other).toEqual(
      expect.objectContaining({
        code: 1,
        stderr: 'gatehouse: not logged in to http://127.0.0.1:9: run gatehouse login\n',
      }),
    );
  });

  it('a role with a permission, a user, a grant; check → allowed, naming the rule', async () => {
    await ok(['roles', 'create', 'line-readers', '--description', 'line 1 sensors']);
    const added = await ok(['roles', 'add-permission', 'line-readers', 'mqtt', 'sensors/line1/#', 'read']);
    expect(added.stdout).toBe('Role line-readers: added allow mqtt read sensors/line1/#.\n');
    const role = JSON.parse((await ok(['roles', 'get', 'line-readers', '--json'])).stdout);
    expect(role.permissions).toEqual([
      expect.objectContaining({
        context: 'mqtt',
        resource: 'sensors/line1/#',
        operation: 'read',
        effect: 'allow',
      }),
    ]);
    expect((await ok(['roles', 'list'])).stdout).toMatch(/^line-readers\s+\S+\s+1\s/m);

    const created = JSON.parse(
      (await ok(['users', 'create', 'alice', '--password-stdin', '--json'], { stdin: `${ALICE_PASSWORD}\n` }))
        .stdout,
    );
    expect(created).toEqual(expect.objectContaining({ username: 'alice', roles: [], enabled: true }));
    expect((await ok(['grant', 'alice', 'line-readers'])).stdout).toBe(
      'Granted role line-readers to alice.\n',
    );
    const sdk = await adminSdk();
    expect((await sdk.users.get({ path: { id: created.id } })).data.roles).toEqual([role.id]);

    const allowed = await gh(['check', 'alice', 'mqtt', 'sensors/line1/temp', 'read']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^allowed: alice mqtt read sensors\/line1\/temp$/m);
    expect(allowed.stdout).toMatch(/^allow\s+role line-readers\s+mqtt\s+read\s+sensors\/line1\/#$/m);
    const denied = await gh(['check', 'alice', 'mqtt', 'sensors/line2/temp', 'read']);
    expect(denied.code).toBe(3);
    expect(denied.stdout).toContain('No permission matches (deny by default).');
    const json = JSON.parse(
      (await ok(['check', 'alice', 'mqtt', 'sensors/line1/temp', 'read', '--json'])).stdout,
    );
    expect(json).toEqual({
      allowed: true,
      grantedBy: [expect.objectContaining({ via: role.id, roleName: 'line-readers' })],
      deniedBy: [],
    });

    const list = JSON.parse((await ok(['users', 'list', '--json'])).stdout);
    expect(list.items.map((u: { username: string }) => u.username).sort()).toEqual(['admin', 'alice']);
    expect((await ok(['users', 'list'])).stdout).toMatch(/^alice\s+\S+\s+yes\s+line-readers\s+password/m);
    // revoke, and the check says denied; grant again for what follows
    await ok(['revoke', 'alice', 'line-readers']);
    expect((await gh(['check', 'alice', 'mqtt', 'sensors/line1/temp', 'read'])).code).toBe(3);
    await ok(['grant', 'alice', 'line-readers']);
  });

  it('registry unlock → a device registers over REST → requests shows its pairing id → approve --yes', async () => {
    const unlocked = await ok(['registry', 'unlock', '--minutes', '2']);
    expect(unlocked.stdout).toMatch(/^Registry unlocked until \d{4}-/);
    expect((await ok(['registry', 'status'])).stdout).toMatch(/^unlocked until /);
    const pending = await sdkClient(url).clientRegistry.register({
      body: { username: 'plc-7', password: DEVICE_PASSWORD, context: 'hall 2' },
    });
    const { requestId, pairingId } = pending.data as { requestId: string; pairingId: string };
    const requests = await ok(['registry', 'requests']);
    expect(requests.stdout).toMatch(
      new RegExp(`^${requestId}\\s+${pairingId}\\s+plc-7\\s+pending\\s+rest`, 'm'),
    );

    // no terminal, no --yes: refused, still pending
    const refused = await gh(['registry', 'approve', requestId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Pairing id:`);
    expect(refused.stderr).toContain(
      `Approve plc-7 with pairing id ${pairingId}? — no terminal to confirm on: pass --yes`,
    );
    const sdk = await adminSdk();
    expect((await sdk.clientRegistry.get({ path: { id: requestId } })).data.state).toBe('pending');

    const approved = await ok(['registry', 'approve', pairingId, '--role', 'line-readers', '--yes']);
    expect(approved.stdout).toContain(`Approved plc-7 (pairing id ${pairingId}).`);
    const after = (await sdk.clientRegistry.get({ path: { id: requestId } })).data;
    expect(after.state).toBe('granted');
    const device = (await sdk.users.get({ path: { id: after.userId! } })).data;
    expect(device.username).toBe('plc-7');
    const readers = (await sdk.roles.list({ query: { name: 'line-readers' } })).data.items[0];
    expect(device.roles).toEqual([readers.id]);
    expect((await ok(['registry', 'lock'])).stdout).toBe('Registry locked.\n');
  });

  it('a user without rights: a 403 exits 1 with the server’s detail', async () => {
    await ok(['login', '--url', url, '--username', 'alice', '--password-stdin'], {
      stdin: `${ALICE_PASSWORD}\n`,
      configDir: aliceDir,
    });
    const r = await gh(['users', 'list'], { configDir: aliceDir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const alice = sdkClient(
      url,
      JSON.parse(await readFile(join(aliceDir, 'credentials.json'), 'utf8')).token,
    );
    const problem = await alice.users.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(problem).toBeInstanceOf(GatehouseApiError);
    expect((problem as GatehouseApiError).status).toBe(403);
    expect(r.stderr).toBe(`gatehouse: ${(problem as GatehouseApiError).detail} (AUTH.FORBIDDEN, HTTP 403)\n`);
    // alice may ask about herself
    expect(JSON.parse((await ok(['whoami', '--json'], { configDir: aliceDir })).stdout).username).toBe(
      'alice',
    );
  });

  it('MFA: without a code the login says to give --otp (exit 1); with --otp it logs in', async () => {
    const sdk = await adminSdk();
    const password = 'Mfa-operat0r-pw';
    await sdk.users.create({ body: { username: 'mfa-op', password } });
    const session = sdkClient(
      url,
      (await sdkClient(url).auth.login({ body: { username: 'mfa-op', password } })).data.token,
    );
    const { secret } = (await session.mfa.start()).data;
    const totp = (offsetSteps: number) =>
      TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 });
    await session.mfa.confirm({ body: { otp: totp(0) } });
    const dir = join(work, 'mfa-config');
    const login = ['login', '--url', url, '--username', 'mfa-op', '--password-stdin'];
    const noCode = await gh(login, { stdin: `${password}\n`, configDir: dir });
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toBe(
      'gatehouse: this user has MFA: send "otp" (or a "backupCode") (AUTH.MFA_REQUIRED, HTTP 401): give the code with --otp\n',
    );
    await expect(stat(join(dir, 'credentials.json'))).rejects.toThrow(/ENOENT/);
    await ok([...login, '--otp', totp(1)], { stdin: `${password}\n`, configDir: dir });
    expect(JSON.parse((await ok(['whoami', '--json'], { configDir: dir })).stdout).username).toBe('mfa-op');
  });

  it('set-password by an admin; the new one logs in', async () => {
    const next = 'Alice-passw0rd-2';
    await ok(['users', 'set-password', 'alice', '--password-stdin'], { stdin: `${next}\n` });
    const old = await gh(['login', '--url', url, '--username', 'alice', '--password-stdin'], {
      stdin: `${ALICE_PASSWORD}\n`,
      configDir: aliceDir,
    });
    expect(old.code).toBe(1);
    await ok(['login', '--url', url, '--username', 'alice', '--password-stdin'], {
      stdin: `${next}\n`,
      configDir: aliceDir,
    });
  });

  it('tokens create (re-authenticates) shows the token once; it works as GATEHOUSE_TOKEN; list, revoke', async () => {
    // a labelled token needs the token grant type (ADR 0011): the admin gives it to itself
    const sdk = await adminSdk();
    const me = (await sdk.auth.me()).data;
    await sdk.users.update({
      path: { id: me.id },
      body: {
        version: me.version,
        currentPassword: ADMIN_PASSWORD,
        grantTypes: [
          { method: 'password', isRequired: false },
          { method: 'token', isRequired: false },
        ],
      },
    });
    const wrong = await gh(['tokens', 'create', '--label', 'ci', '--hours', '2', '--password-stdin'], {
      stdin: 'nope\n',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('(IDENTITY.INVALID_CREDENTIALS, HTTP 401)');
    const created = JSON.parse(
      (
        await ok(['tokens', 'create', '--label', 'ci', '--hours', '2', '--password-stdin', '--json'], {
          stdin: `${ADMIN_PASSWORD}\n`,
        })
      ).stdout,
    );
    expect(created).toEqual(
      expect.objectContaining({ token: expect.any(String), tokenId: expect.any(String) }),
    );
    const asToken = await ok(['whoami', '--json', '--url', url], {
      configDir: join(work, 'empty'),
      env: { GATEHOUSE_TOKEN: created.token },
    });
    expect(JSON.parse(asToken.stdout).username).toBe('admin');
    const listed = await ok(['tokens', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${created.tokenId}\\s+ci\\s`, 'm'));
    expect(listed.stdout).not.toContain(created.token);
    await ok(['tokens', 'revoke', created.tokenId]);
    const revoked = await gh(['whoami', '--url', url], {
      configDir: join(work, 'empty'),
      env: { GATEHOUSE_TOKEN: created.token },
    });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/\(IDENTITY\.INVALID_TOKEN, HTTP 401\)\n$/);
  });

  it('sessions list shows a live MQTT client; sessions kill disconnects it', async () => {
    const e: Endpoint = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    const client = await connectClient(e, {
      username: 'alice',
      password: 'Alice-passw0rd-2',
      clientId: 'alice-cli-1',
    });
    await client.subscribeAsync('sensors/line1/#');
    const listed = await ok(['sessions', 'list']);
    expect(listed.stdout).toMatch(/^alice-cli-1\s+alice\s+\S+\s+mqtt\s+.*sensors\/line1\/# \(qos 0\)/m);
    const json = JSON.parse((await ok(['sessions', 'list', '--json', '--user', 'alice'])).stdout);
    expect(json.items.map((s: { clientId: string }) => s.clientId)).toEqual(['alice-cli-1']);
    const gone = closed(client, 5000);
    expect((await ok(['sessions', 'kill', 'alice-cli-1'])).stdout).toMatch(/^Disconnected alice-cli-1 on /);
    await gone;
  });

  it('audit tail prints the latest events; --json gives one JSON event per line; --follow prints new ones until SIGINT', async () => {
    const tail = await ok(['audit', 'tail', '-n', '3', '--json']);
    const events = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    expect(events[0].seq).toBeLessThan(events[2].seq);
    expect((await ok(['audit', 'tail', '-n', '50'])).stdout).toMatch(
      /\bsuccess\s+admin\s+user\.create\s+user:alice/,
    );

    const child = spawn(
      process.execPath,
      [BIN, 'audit', 'tail', '-n', '1', '--follow', '--interval', '0.2'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: work,
          XDG_CACHE_HOME: cacheDir,
          GATEHOUSE_CONFIG_DIR: adminDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${re} in ${out}`)), 15_000);
        const check = () => {
          if (re.test(out)) {
            clearTimeout(t);
            child.stdout.off('data', onData);
            resolve();
          }
        };
        const onData = (d: Buffer) => {
          out += d.toString();
          check();
        };
        child.stdout.on('data', onData);
        check();
      });
    await seen(/\n/);
    const sdk = await adminSdk();
    await sdk.roles.create({ body: { name: 'followed-role' } });
    await seen(/role\.create\s+role:followed-role/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('completion bash|zsh: scripts naming the subcommands (bash -n accepts it)', async () => {
    const bash = (await ok(['completion', 'bash'])).stdout;
    for (const w of [
      'registry',
      'approve',
      'add-permission',
      'set-password',
      '--password-stdin',
      'complete -F _gatehouse gatehouse',
    ])
      expect(bash).toContain(w);
    expect(bash).toContain("'gatehouse registry') candidates='status unlock lock requests approve reject");
    const syntax = await new Promise<number>((resolve) => {
      const child = execFile('bash', ['-n'], (err) => resolve(err === null ? 0 : 1));
      child.stdin!.end(bash);
    });
    expect(syntax).toBe(0);
    const zsh = (await ok(['completion', 'zsh'])).stdout;
    expect(zsh).toMatch(/^#compdef gatehouse/);
    expect(zsh).toContain("'approve:approve a request");
  });

  it('export → apply --dry-run changes nothing; one edited permission → apply changes exactly that, revoking the live subscription', async () => {
    const file = join(work, 'policy.yaml');
    expect((await ok(['export', '-o', file])).stderr).toMatch(
      /^Wrote .*policy\.yaml \(\d+ roles, 4 users\)\.\n$/,
    );
    const exported = parse(await readFile(file, 'utf8'));
    expect(JSON.parse((await ok(['export', '--format', 'json'])).stdout)).toEqual(exported);
    expect(exported.roles).toContainEqual(
      expect.objectContaining({
        name: 'line-readers',
        permissions: [{ context: 'mqtt', resource: 'sensors/line1/#', operation: 'read' }],
      }),
    );
    expect((await ok(['apply', '-f', file, '--dry-run'])).stdout).toBe('No changes.\n');
    // nothing to change: no question asked, exit 0 without --yes
    expect((await ok(['apply', '-f', file])).stdout).toBe('No changes.\n');

    const e: Endpoint = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    const client = await connectClient(e, {
      username: 'alice',
      password: 'Alice-passw0rd-2',
      clientId: 'alice-cli-2',
    });
    await client.subscribeAsync('sensors/line1/#');
    const edited = structuredClone(exported);
    edited.roles.find((r: { name: string }) => r.name === 'line-readers').permissions[0].resource =
      'sensors/line3/#';
    const editedFile = join(work, 'policy-edited.yaml');
    await writeFile(editedFile, stringify(edited));

    const plan = await ok(['apply', '-f', editedFile, '--dry-run']);
    expect(plan.stdout).toBe(
      [
        'Roles:',
        '  ~ line-readers',
        '      + allow mqtt read sensors/line3/#',
        '      - allow mqtt read sensors/line1/#',
        'Would revoke live:',
        `  alice-cli-2 (alice) on ${plan.stdout.match(/alice-cli-2 \(alice\) on (\S+):/)?.[1]}: subscription sensors/line1/#`,
        '0 to create, 1 to change, 0 to delete; 1 live subscription(s) or session(s) to revoke.',
        '',
      ].join('\n'),
    );
    const planJson = JSON.parse((await ok(['apply', '-f', editedFile, '--dry-run', '--json'])).stdout);
    expect(planJson).toEqual(
      expect.objectContaining({ applied: false, users: { created: [], changed: [], deleted: [] } }),
    );
    // no terminal, no --yes: refused, nothing applied
    const refused = await gh(['apply', '-f', editedFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('gatehouse: Apply these changes? — no terminal to confirm on: pass --yes\n');
    expect(JSON.parse((await ok(['export', '--json'])).stdout)).toEqual(exported);

    const applied = await ok(['apply', '-f', editedFile, '--yes']);
    expect(applied.stdout).toMatch(
      /\nApplied\.\n0 created, 1 changed, 0 deleted; 1 live subscription\(s\) or session\(s\) revoked\.\n$/,
    );
    // exactly that: the export now is the edited document
    expect(JSON.parse((await ok(['export', '--json'])).stdout)).toEqual(edited);
    expect((await ok(['apply', '-f', editedFile, '--dry-run'])).stdout).toBe('No changes.\n');
    expect((await ok(['check', 'alice', 'mqtt', 'sensors/line3/x', 'read'])).stdout).toMatch(/^allowed:/);
    expect(client.connected).toBe(true);
    await client.endAsync();
  });

  it('logout revokes the token and removes the credentials', async () => {
    const file = join(adminDir, 'credentials.json');
    const token = JSON.parse(await readFile(file, 'utf8')).token as string;
    expect((await ok(['logout'])).stdout).toBe(`Logged out of ${url}.\n`);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    await expect(sdkClient(url, token).auth.me()).rejects.toMatchObject({ status: 401 });
    const after = await gh(['whoami']);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(
      'gatehouse: no server: run gatehouse login --url <url> (or set GATEHOUSE_URL)\n',
    );
  });
});
