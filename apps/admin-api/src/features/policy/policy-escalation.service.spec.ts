import { planPolicy, type PolicyInput, type PolicyRoleRow, type PolicyUserRow } from '@gatehouse/identity';
import { GrantorAccess } from '@gatehouse/rbac';
import { PolicyEscalation } from './policy-escalation.service';

const ADMIN_ROLE: PolicyRoleRow = {
  id: '00000000-0000-4000-8000-000000000001',
  name: 'admin',
  description: null,
  builtIn: true,
  externalGroups: [],
  permissions: [
    { context: 'mqtt', resource: '#', operation: 'readWrite', effect: 'allow' },
    { context: 'http', resource: '/#', operation: 'readWrite', effect: 'allow' },
  ],
};
const PLANT_ROLE: PolicyRoleRow = {
  id: '00000000-0000-4000-8000-0000000000aa',
  name: 'plant',
  description: null,
  builtIn: false,
  externalGroups: [],
  permissions: [
    { context: 'mqtt', resource: 'plant/#', operation: 'readWrite', effect: 'allow' },
    { context: 'http', resource: '/api/policy/#', operation: 'readWrite', effect: 'allow' },
  ],
};
const user = (id: string, username: string, roleIds: string[]): PolicyUserRow => ({
  id,
  username,
  enabled: true,
  mqttPublishPrefix: null,
  permissionsVersion: 0,
  grantTypes: [{ method: 'password', isRequired: false }],
  externalGroups: null,
  roleIds,
  permissions: [],
});
const ADMIN = user('00000000-0000-4000-8000-00000000a001', 'admin', [ADMIN_ROLE.id]);
const EDITOR = user('00000000-0000-4000-8000-00000000a002', 'editor', [PLANT_ROLE.id]);
const state = { roles: [ADMIN_ROLE, PLANT_ROLE], users: [ADMIN, EDITOR] };
const keep = (): PolicyInput['users'] =>
  state.users.map((u) => ({
    username: u.username,
    enabled: true,
    roles: u.id === ADMIN.id ? ['admin'] : ['plant'],
    permissions: [],
  }));
const devices = (n: number, resource: (i: number) => string): PolicyInput['users'] =>
  Array.from({ length: n }, (_, i) => ({
    username: `device-${i}`,
    enabled: true,
    roles: [],
    permissions: [{ context: 'mqtt', resource: resource(i), operation: 'read' }],
  }));

describe('PolicyEscalation (ADR 0028)', () => {
  const escalation = new PolicyEscalation();
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(GrantorAccess.prototype, 'firstEscalation');
  });
  afterEach(() => spy.mockRestore());

  it('checks each distinct permission set once, not once per user', () => {
    const plan = planPolicy(
      { roles: [], users: [...keep(), ...devices(1000, () => 'plant/line/+/status')] },
      state,
      { prune: false, callerId: EDITOR.id },
    );
    expect(plan.users.created).toHaveLength(1000);
    escalation.assertAllowed(plan);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('a ${username} makes the grantee matter: one check per user', () => {
    const plan = planPolicy(
      { roles: [], users: [...keep(), ...devices(50, () => 'plant/${username}/#')] },
      state,
      { prune: false, callerId: EDITOR.id },
    );
    escalation.assertAllowed(plan);
    expect(spy).toHaveBeenCalledTimes(50);
  });

  it('refuses the first user given more than the caller holds, naming it and the rule', () => {
    const plan = planPolicy(
      { roles: [], users: [...keep(), ...devices(10, (i) => (i === 7 ? 'office/#' : 'plant/a'))] },
      state,
      { prune: false, callerId: EDITOR.id },
    );
    expect(() => escalation.assertAllowed(plan)).toThrow(
      'user "device-7": you cannot hand out {mqtt, office/#, read}: you do not hold it',
    );
  });

  it('refuses deleting (prune) or changing a user who holds more than the caller (takeover)', () => {
    const pruning = planPolicy(
      {
        roles: [
          { name: 'plant', description: null, permissions: PLANT_ROLE.permissions, externalGroups: [] },
        ],
        users: [
          ...keep().filter((u) => u.username !== 'admin'),
          { username: 'other-admin', enabled: true, roles: ['admin'], permissions: [] },
        ],
      },
      {
        ...state,
        users: [EDITOR, ADMIN, user('00000000-0000-4000-8000-00000000a003', 'other-admin', [ADMIN_ROLE.id])],
      },
      { prune: true, callerId: EDITOR.id },
    );
    expect(() => escalation.assertAllowed(pruning)).toThrow(/user "admin" holds \{mqtt, #, readWrite\}/);
  });

  it('lets the admin hand out anything', () => {
    const plan = planPolicy(
      {
        roles: [
          {
            name: 'root',
            description: null,
            permissions: [{ context: 'mqtt', resource: '#', operation: 'read' }],
            externalGroups: [],
          },
        ],
        users: keep(),
      },
      state,
      { prune: false, callerId: ADMIN.id },
    );
    expect(() => escalation.assertAllowed(plan)).not.toThrow();
  });
});
