import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { createTestCa, issueServerCert } from './test-ca';

/**
 * A private, throw-away OpenLDAP directory for the LDAP tests (issue 12): Debian's slapd on a free
 * loopback port, with a generated slapd.conf (mdb, memberof overlay) in a temp dir and the fixture
 * test/fixtures/ldap/directory.ldif loaded with slapadd. `.ci/run` installs slapd and ldap-utils.
 * With `tls: true` it also has a throw-away CA and a server certificate for 127.0.0.1 and localhost
 * (made by the openssl command line), offers StartTLS on its ldap:// port and listens on a second,
 * ldaps:// port.
 */

export const LDAP_BASE = 'dc=plant,dc=test';
export const LDAP_ROOT_DN = `cn=root,${LDAP_BASE}`;
export const LDAP_ROOT_PASSWORD = 'root-secret-1';
export const LDAP_SERVICE_DN = `cn=gatehouse,ou=services,${LDAP_BASE}`;
export const LDAP_SERVICE_PASSWORD = 'service-secret-1';
export const FIXTURE_LDIF = resolve(__dirname, '../fixtures/ldap/directory.ldif');

const SLAPD_CANDIDATES = ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/local/libexec/slapd'];
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap'];
const SCHEMA_DIR = '/etc/ldap/schema';

/** The slapd binary, or null when it is not installed (the only reason an LDAP test may skip). */
export function slapdBinary(): string | null {
  for (const c of SLAPD_CANDIDATES) if (existsSync(c)) return c;
  try {
    const found = execFileSync('sh', ['-c', 'command -v slapd'], { encoding: 'utf8' }).trim();
    return found || null;
  } catch {
    return null;
  }
}

/** Why LDAP tests skip here, or null when they can run. */
export function slapdMissingReason(): string | null {
  if (!slapdBinary()) return 'slapd is not installed (apt-get install slapd ldap-utils; .ci/run does it)';
  if (!existsSync(join(SCHEMA_DIR, 'inetorgperson.schema'))) return `no OpenLDAP schema in ${SCHEMA_DIR}`;
  return null;
}

export interface TestDirectoryOptions {
  /** A CA and server certificate; StartTLS on `url`, LDAPS on `ldapsUrl`. */
  tls?: boolean;
}

export interface TestDirectory {
  /** `ldap://127.0.0.1:<port>` (StartTLS offered there when started with `tls`). */
  url: string;
  port: number;
  /** `ldaps://127.0.0.1:<port>` when started with `tls`. */
  ldapsUrl?: string;
  ldapsPort?: number;
  /** The PEM file of the CA that signed the server certificate, when started with `tls`. */
  caFile?: string;
  base: string;
  /** A client bound as the directory's root (for changes made "at the directory" by a test; LDAPS with `tls`). */
  admin(): Promise<Client>;
  /** Stops slapd (the directory is then down: connections are refused). Idempotent. */
  stop(): Promise<void>;
  /** Starts slapd again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops slapd and removes its directory. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

function slapdConf(dir: string, moduleDir: string, tls?: TlsFiles): string {
  // slapd.conf's TLS* directives are what cn=config calls olcTLSCACertificateFile, olcTLSCertificateFile
  // and olcTLSCertificateKeyFile; global, so both listeners (StartTLS and LDAPS) use them. A simple
  // bind needs TLS (`security simple_bind=1`, olcSecurity): a client that skipped StartTLS is refused
  // (confidentialityRequired), so a login that works over ldap:// proves StartTLS happened.
  const tlsLines = tls
    ? `TLSCACertificateFile ${tls.caFile}
TLSCertificateFile ${tls.certFile}
TLSCertificateKeyFile ${tls.keyFile}
TLSProtocolMin 3.3
security simple_bind=1
`
    : '';
  return `include ${SCHEMA_DIR}/core.schema
include ${SCHEMA_DIR}/cosine.schema
include ${SCHEMA_DIR}/inetorgperson.schema
include ${SCHEMA_DIR}/nis.schema
pidfile ${dir}/slapd.pid
${tlsLines}modulepath ${moduleDir}
moduleload back_mdb
moduleload memberof
database mdb
maxsize 10485760
suffix "${LDAP_BASE}"
rootdn "${LDAP_ROOT_DN}"
rootpw ${LDAP_ROOT_PASSWORD}
directory ${dir}/data
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
`;
}

async function waitUntilServing(url: string, deadline: number, ca?: string): Promise<void> {
  for (;;) {
    const c = new Client({
      url,
      connectTimeout: 500,
      timeout: 1000,
      ...(ca ? { tlsOptions: { ca, host: '127.0.0.1' } } : {}),
    });
    try {
      await c.bind(LDAP_ROOT_DN, LDAP_ROOT_PASSWORD);
      await c.unbind();
      return;
    } catch (err) {
      await c.unbind().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`slapd did not answer at ${url}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Starts a private slapd with the fixture directory. Call `destroy()` in afterAll. */
export async function startTestDirectory(options: TestDirectoryOptions = {}): Promise<TestDirectory> {
  const slapd = slapdBinary();
  if (!slapd) throw new Error(slapdMissingReason() ?? 'slapd missing');
  const moduleDir = MODULE_DIRS.find((d) => existsSync(join(d, 'back_mdb.la'))) ?? '/usr/lib/ldap';
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-slapd-'));
  await mkdir(join(dir, 'data'));
  // mkdtemp made `dir` 0700: slapd runs as this user and reads the keys there, nobody else can
  let tls: (TlsFiles & { caPem: string }) | undefined;
  if (options.tls) {
    const ca = await createTestCa(dir, 'ldap', 'Gatehouse test LDAP CA');
    const server = await issueServerCert(ca, dir, 'slapd', { dns: ['localhost'], ips: ['127.0.0.1'] });
    tls = { caFile: ca.certFile, certFile: server.certFile, keyFile: server.keyFile, caPem: ca.certPem };
  }
  const conf = join(dir, 'slapd.conf');
  await writeFile(conf, slapdConf(dir, moduleDir, tls), { mode: 0o600 });
  // the memberof overlay maintains memberOf at slapadd too only with -w; loaded offline (no server yet)
  const slapadd = join(dirname(slapd), 'slapadd');
  execFileSync(existsSync(slapadd) ? slapadd : 'slapadd', ['-f', conf, '-l', FIXTURE_LDIF, '-w'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  let ldapsPort: number | undefined;
  while (tls && (ldapsPort === undefined || ldapsPort === port)) ldapsPort = await freePort();
  const ldapsUrl = tls ? `ldaps://127.0.0.1:${ldapsPort}` : undefined;
  const listen = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ');
  let child: ChildProcess | undefined;
  const start = async () => {
    const p = spawn(slapd, ['-d', '0', '-f', conf, '-h', listen], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    child = p;
    try {
      // with TLS a plain bind is refused: the LDAPS port answers for both listeners
      if (ldapsUrl) await waitUntilServing(ldapsUrl, Date.now() + 10_000, tls?.caPem);
      else await waitUntilServing(url, Date.now() + 10_000);
    } catch (err) {
      p.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
  };
  const stop = async () => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    port,
    ...(ldapsUrl ? { ldapsUrl, ldapsPort, caFile: tls?.caFile } : {}),
    base: LDAP_BASE,
    async admin() {
      const c = new Client({
        url: ldapsUrl ?? url,
        timeout: 5000,
        connectTimeout: 2000,
        ...(tls ? { tlsOptions: { ca: tls.caPem, host: '127.0.0.1' } } : {}),
      });
      await c.bind(LDAP_ROOT_DN, LDAP_ROOT_PASSWORD);
      return c;
    },
    stop,
    restart: start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The LDAP_* environment of admin-api for the test directory. */
export function ldapEnvFor(d: TestDirectory, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LDAP_URL: d.url,
    LDAP_BIND_DN: LDAP_SERVICE_DN,
    LDAP_BIND_PASSWORD: LDAP_SERVICE_PASSWORD,
    LDAP_USER_BASE: `ou=people,${d.base}`,
    LDAP_USER_FILTER: '(uid={{username}})',
    LDAP_GROUP_BASE: `ou=groups,${d.base}`,
    ...extra,
  };
}
