import { type DynamicModule, Module } from '@nestjs/common';
import { RefusalAggregator } from './audit/refusal-aggregator.service';
import { aedesBrokerProvider } from './broker/aedes.provider';
import { ClientCaService } from './broker/client-ca.service';
import { AccessTokenAuthenticator } from './broker/connect/access-token-authenticator.service';
import { AuthAdmission } from './broker/connect/auth-admission.service';
import { ClientIdOwnership } from './broker/connect/client-id-ownership.service';
import { ConnectThrottle } from './broker/connect/connect-throttle.service';
import { CredentialVerifier } from './broker/connect/credential-verifier.service';
import { ProviderKeys } from './broker/connect/provider-keys.service';
import { VerificationCache } from './broker/connect/verification-cache.service';
import { AuthenticateHook } from './broker/hooks/authenticate.hook';
import { PacketAuthorizationHook } from './broker/hooks/packet-authorization.hook';
import { MqttListeners } from './broker/mqtt-listeners.service';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/gateway.config';
import { GatewayHttp } from './metrics/gateway-http.service';
import { GatewayMetrics } from './metrics/gateway-metrics.service';
import { ChangeClock } from './sessions/change-clock';
import { MatcherPool } from './sessions/matcher-pool.service';
import { PrincipalChangeApplier } from './sessions/principal-change-applier.service';
import { LiveSessions } from './sessions/live-sessions.service';
import { SessionRegistry } from './sessions/session-registry.service';
import { GatewayRegistration } from './transport/gateway-registration.service';
import { IdentityClient } from './transport/identity-client.service';
import { PrincipalEventsController } from './transport/principal-events.controller';
import { SessionQueriesController } from './transport/session-queries.controller';

/** The MQTT broker gateway (SPEC 3): no database access; identities come over the transport (SPEC 5). */
@Module({})
export class BrokerGatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: BrokerGatewayModule,
      controllers: [PrincipalEventsController, SessionQueriesController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        aedesBrokerProvider,
        AuthenticateHook,
        AccessTokenAuthenticator,
        ProviderKeys,
        PacketAuthorizationHook,
        MqttListeners,
        ClientCaService,
        ConnectThrottle,
        ClientIdOwnership,
        VerificationCache,
        AuthAdmission,
        CredentialVerifier,
        MatcherPool,
        ChangeClock,
        SessionRegistry,
        LiveSessions,
        PrincipalChangeApplier,
        IdentityClient,
        GatewayRegistration,
        RefusalAggregator,
        GatewayMetrics,
        GatewayHttp,
      ],
    };
  }
}
