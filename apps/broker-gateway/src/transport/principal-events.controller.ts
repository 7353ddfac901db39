import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { IdentityEvents, PrincipalChangedEventDto, validateMessage } from '@gatehouse/contracts';
import { PrincipalChangeApplier } from '../sessions/principal-change-applier.service';

/** Change events from admin-api (SPEC 3 "Live changes", SPEC 5): validated, then applied to live sessions. */
@Controller()
export class PrincipalEventsController {
  private readonly logger = new Logger(PrincipalEventsController.name);

  constructor(private readonly applier: PrincipalChangeApplier) {}

  @EventPattern(IdentityEvents.PRINCIPAL_CHANGED)
  principalChanged(@Payload() payload: unknown): void {
    let event: PrincipalChangedEventDto;
    try {
      event = validateMessage(PrincipalChangedEventDto, payload);
    } catch (err) {
      this.logger.warn(
        `ignoring invalid ${IdentityEvents.PRINCIPAL_CHANGED} event: ${(err as Error).message}`,
      );
      return;
    }
    this.applier.apply(event);
  }
}
