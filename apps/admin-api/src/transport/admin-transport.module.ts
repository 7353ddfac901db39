import { type DynamicModule, Module } from '@nestjs/common';
import { parseTransportUrl } from '@gatehouse/contracts';
import { PRINCIPAL_CHANGE_SINK } from '@gatehouse/identity';
import { ADMIN_TRANSPORT_ENDPOINT } from './admin-transport.options';
import { GatewayEventBroadcaster } from './gateway-event-broadcaster.service';
import { GATEWAY_QUERY_TIMEOUT_MS, GatewayQueries } from './gateway-queries.service';
import { IdentityMessagesController } from './identity-messages.controller';
import { TransportHealth } from './transport-health';

/**
 * admin-api's side of the transport (SPEC 5): the request handlers for the gateways and the
 * `PRINCIPAL_CHANGE_SINK` that broadcasts change events to them. Import it once (it is global, so the
 * IdentityModule's PrincipalService sees the sink; the IdentityModule is global too, so the handlers see
 * AuthService and PrincipalService); start the transport server with `connectAdminTransport`.
 */
@Module({})
export class AdminTransportModule {
  static forRoot(transportUrl: string | undefined, gatewayQueryTimeoutMs = 2000): DynamicModule {
    return {
      module: AdminTransportModule,
      // Global so that the IdentityModule's PrincipalService finds the sink wherever this module is imported.
      global: true,
      controllers: [IdentityMessagesController],
      providers: [
        { provide: ADMIN_TRANSPORT_ENDPOINT, useValue: parseTransportUrl(transportUrl) },
        GatewayEventBroadcaster,
        TransportHealth,
        { provide: GATEWAY_QUERY_TIMEOUT_MS, useValue: gatewayQueryTimeoutMs },
        GatewayQueries,
        { provide: PRINCIPAL_CHANGE_SINK, useExisting: GatewayEventBroadcaster },
      ],
      exports: [PRINCIPAL_CHANGE_SINK, GatewayEventBroadcaster, TransportHealth, GatewayQueries],
    };
  }
}
