import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The committed OpenAPI document (the one CI checks against the code). */
export const openapi = JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as OpenApiDoc;

export type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
};

export interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
  'x-gatehouse-access'?: string;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface Op {
  method: string;
  /** The OpenAPI path template, `/api/users/{id}`. */
  path: string;
  op: Operation;
  /** `public` | `self` | `http-permission`, or undefined when the route declares no policy. */
  access: string | undefined;
  /** The body schema (refs resolved at the top level), if the operation takes one. */
  body: Schema | undefined;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];

export function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return resolve(openapi.components.schemas[name]);
}

/** Every operation of the committed document. */
export function operations(): Op[] {
  const out: Op[] = [];
  for (const [path, item] of Object.entries(openapi.paths))
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const json = op.requestBody?.content['application/json']?.schema;
      out.push({ method, path, op, access: op['x-gatehouse-access'], body: resolve(json) });
    }
  return out;
}

/** The `http` permission resource that matches exactly this route: `{param}` levels become `+`. */
export function resourceOf(path: string): string {
  return path.replace(/\{[^}]+\}/g, '+');
}

/** SPEC 1.1: GET, HEAD, OPTIONS are `read`, every other method `write`. */
export function operationOf(method: string): 'read' | 'write' {
  return ['get', 'head', 'options'].includes(method) ? 'read' : 'write';
}

/** `/api/users/{id}` with values for its parameters. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => encode(values[name] ?? 'missing'));
}

/** encodeURIComponent that also takes lone surrogates (sent as their raw, invalid UTF-8 bytes). */
export function encode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s
      .replace(/[\ud800-\udfff]/g, '\u0000')
      .split('\u0000')
      .map(encodeURIComponent)
      .join('%ED%A0%80');
  }
}

/** Node's stack frames or an exception's class name in a response body: a leaked stack trace. */
export function looksLikeStackTrace(text: string): boolean {
  return /\n\s+at\s+\S+.*\(.*:\d+:\d+\)|at\s+\S+\s+\(\/.*\.(t|j)s:\d+|node_modules\/|\b(TypeError|ReferenceError|QueryFailedError|SyntaxError): /.test(
    text,
  );
}
