/**
 * A principal's MQTT permissions for the broker scenarios: `n - grants.length` seeded filler rules that
 * look like a plant (literal topics, `+`, `#`, placeholders, read/write/readWrite) followed by the
 * `grants` the benchmark traffic needs, last. Also their translation to Mosquitto dynamic-security ACLs,
 * in the same order (read → subscribePattern + publishClientReceive, write → publishClientSend).
 */
import type { Permission } from './gatehouse';
import type { Acl } from './mosquitto';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METRICS = ['temperature', 'pressure', 'vibration', 'power', 'status', 'alarms'];
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export function permissions(n: number, grants: Permission[], seed = 0xb3c4): Permission[] {
  const r = rng(seed);
  const pick = (k: number): number => Math.floor(r() * k);
  const out: Permission[] = [];
  const seen = new Set<string>();
  while (out.length < n - grants.length) {
    const p = `p${pad(pick(20), 2)}`;
    const l = `l${pad(pick(40), 2)}`;
    const m = `m${pad(pick(2000), 4)}`;
    const metric = METRICS[pick(METRICS.length)];
    const x = r();
    let resource: string;
    if (x < 0.4) resource = `plant/${p}/line/${l}/machine/${m}/${metric}`;
    else if (x < 0.6) resource = `plant/${p}/line/+/machine/${m}/+`;
    else if (x < 0.75) resource = `plant/${p}/line/${l}/#`;
    else if (x < 0.85) resource = `devices/\${username}/${m}/${r() < 0.5 ? '#' : metric}`;
    else resource = `fleet/+/${p}/events/e${pad(pick(1000), 3)}/+`;
    const y = r();
    const operation = y < 0.4 ? 'read' : y < 0.7 ? 'write' : 'readWrite';
    if (seen.has(resource)) continue; // one rule per resource (Mosquitto keys ACLs by topic)
    seen.add(resource);
    out.push({ context: 'mqtt', resource, operation });
  }
  return [...out, ...grants];
}

/** The same rules as Mosquitto ACLs (placeholders substituted: Mosquitto's ACL topics are literal here). */
export function mosquittoAcls(perms: Permission[], username: string): Acl[] {
  const acls: Acl[] = [];
  for (const p of perms) {
    const topic = p.resource.replace('${username}', username);
    if (p.operation !== 'write') {
      acls.push({ acltype: 'subscribePattern', topic, allow: true });
      acls.push({ acltype: 'publishClientReceive', topic, allow: true });
    }
    if (p.operation !== 'read') acls.push({ acltype: 'publishClientSend', topic, allow: true });
  }
  return acls;
}
