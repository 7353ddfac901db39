import { Inject, Injectable } from '@nestjs/common';
import { FailureLimiter } from '@gatehouse/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';

/**
 * Failed-CONNECT limits per username and per client IP (SPEC 3 "like HTTP logins"), checked before
 * anything is sent to admin-api so that a password-guessing client cannot make it burn CPU on argon2.
 * Fixed window starting at the first failure: a lock-out never lasts longer than the window, so it
 * cannot keep a legitimate device out for longer. admin-api keeps its own limits as well.
 */
@Injectable()
export class ConnectThrottle extends FailureLimiter {
  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    super(config.connectLimits);
  }
}
