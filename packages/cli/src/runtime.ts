import { createGatehouseClient, type GatehouseClient } from '@gatehouse/sdk';
import { type Credentials, type Env, readCredentials } from './config';
import { CliError } from './errors';
import { type Io, StdinLines } from './prompt';

/** The options every command takes (they are the root program's, accepted anywhere on the line). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
}

export const normalizeUrl = (url: string): string => url.trim().replace(/\/+$/, '');

/** What the commands share: the streams, the environment, the stored credentials, the SDK client. */
export class Runtime {
  readonly stdinLines: StdinLines;
  /** The server of the current command, once known (for "cannot reach …"). */
  url: string | undefined;
  /** The exit code of a command that succeeded but answers "no" (`check`: denied). */
  exitCode = 0;

  constructor(
    readonly io: Io,
    readonly env: Env,
  ) {
    this.stdinLines = new StdinLines(io);
  }

  credentials(): Credentials | undefined {
    return readCredentials(this.env);
  }

  /** `--url`, else `GATEHOUSE_URL`, else the server of the last login. */
  serverUrl(opts: GlobalOptions): string {
    const url = opts.url ?? this.env.GATEHOUSE_URL ?? this.credentials()?.url;
    if (!url) throw new CliError('no server: run gatehouse login --url <url> (or set GATEHOUSE_URL)');
    if (!/^https?:\/\/[^/]/i.test(url)) throw new CliError(`not an http(s) URL: ${url}`, 2);
    this.url = normalizeUrl(url);
    return this.url;
  }

  /** A client without a token (login, the public routes). */
  anonymousClient(opts: GlobalOptions): GatehouseClient {
    return createGatehouseClient({ baseUrl: this.serverUrl(opts) });
  }

  /**
   * The token for `url`: `GATEHOUSE_TOKEN`, else the stored one if it was issued by that same server
   * (a stored token is never sent to another `--url`).
   */
  token(url: string): string {
    if (this.env.GATEHOUSE_TOKEN) return this.env.GATEHOUSE_TOKEN;
    const c = this.credentials();
    if (!c || normalizeUrl(c.url) !== url) throw new CliError(`not logged in to ${url}: run gatehouse login`);
    if (Date.parse(c.expiresAt) <= Date.now())
      throw new CliError(`the session on ${url} expired at ${c.expiresAt}: run gatehouse login`);
    return c.token;
  }

  client(opts: GlobalOptions): GatehouseClient {
    const baseUrl = this.serverUrl(opts);
    return createGatehouseClient({ baseUrl, token: this.token(baseUrl) });
  }

  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `--json`: the API's answer as it came, else the human rendering. */
  output(opts: GlobalOptions, data: unknown, render: () => string): void {
    if (opts.json === true) this.print(JSON.stringify(data, null, 2));
    else this.print(render());
  }

  /** A remark for the operator (stderr, so that stdout stays parseable). */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
