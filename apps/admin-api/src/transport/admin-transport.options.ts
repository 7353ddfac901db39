import type { TransportEndpoint } from '@gatehouse/contracts';

/** DI token of the parsed TRANSPORT_URL of admin-api. */
export const ADMIN_TRANSPORT_ENDPOINT = Symbol('ADMIN_TRANSPORT_ENDPOINT');
export type AdminTransportEndpoint = TransportEndpoint;
