import { Logger, type Provider } from '@nestjs/common';
import { Aedes } from 'aedes';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { AEDES_BROKER, type AedesBroker } from './aedes.types';
import { ClientIdOwnership } from './connect/client-id-ownership.service';
import { refuseMqtt5 } from './connect/protocol-version';
import { AuthenticateHook } from './hooks/authenticate.hook';
import { type BrokerPublish, PacketAuthorizationHook } from './hooks/packet-authorization.hook';
import { logConnectionErrors } from './connection-errors';
import { redactRedisUrl, redisBrokerState } from './redis-broker-state';

/** The aedes 1.x broker with the Gatehouse hooks (SPEC 3). Listeners are opened by {@link MqttListeners}. */
export const aedesBrokerProvider: Provider = {
  provide: AEDES_BROKER,
  inject: [GATEWAY_CONFIG, AuthenticateHook, PacketAuthorizationHook, ClientIdOwnership, GatewayMetrics],
  useFactory: async (
    config: GatewayConfig,
    authn: AuthenticateHook,
    authz: PacketAuthorizationHook,
    ownership: ClientIdOwnership,
    metrics: GatewayMetrics,
  ): Promise<AedesBroker> => {
    let shared = {};
    if (config.redisUrl) {
      shared = redisBrokerState(config.redisUrl);
      new Logger('BrokerState').log(
        `broker state in Redis at ${redactRedisUrl(config.redisUrl)} (shared by every gateway using it)`,
      );
    }
    const broker = await Aedes.createBroker({
      ...shared,
      id: config.gatewayId,
      // MQTT 5 gets CONNACK 0x84 before anything else looks at the CONNECT (ADR 0105)
      preConnect: refuseMqtt5(ownership.preConnect) as never,
      authenticate: authn.handle as never,
      authorizePublish: authz.authorizePublish as never,
      authorizeSubscribe: authz.authorizeSubscribe as never,
      authorizeForward: authz.authorizeForward as never,
    });
    // MQTT_DENY_ACTION=ignore: a refused PUBLISH is acknowledged, then dropped here (SPEC 3)
    const publish = broker.publish.bind(broker) as unknown as BrokerPublish;
    (broker as unknown as { publish: BrokerPublish }).publish = authz.dropIgnored(publish);
    logConnectionErrors(broker as AedesBroker, new Logger('MqttConnection'));
    metrics.observeBroker(broker as AedesBroker);
    return broker as AedesBroker;
  },
};
