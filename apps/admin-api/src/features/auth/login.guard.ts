import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { IdentityError, LdapStrategy, LocalStrategy } from '@gatehouse/identity';
import { StrategyGuard } from '../../http/strategy.guard';
import { createValidationPipe } from '../../http/validation.pipe';
import { LoginDto } from './auth.dto';

/**
 * `POST /api/login` (SPEC 2.1, ADR 0026): the Passport strategies `local` then `ldap`, in that order
 * (a strategy that is not the user's hands on with `fail`, Passport tries the next); the verified login
 * on `req.user`, the handler issues its token. Guards run before pipes: the body is validated first, by
 * the same pipe and DTO as the handler's, so a malformed body is the same 400 and no credential is
 * looked at.
 */
@Injectable()
export class LoginGuard extends StrategyGuard implements CanActivate {
  private readonly pipe = createValidationPipe();

  constructor(local: LocalStrategy, ldap: LdapStrategy) {
    super([local.scoped.name, ldap.scoped.name], 'user');
  }

  protected undecided(): Error {
    return new IdentityError('IDENTITY.INVALID_CREDENTIALS', 'invalid username or password');
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request>();
    req.body = (await this.pipe.transform(req.body, { type: 'body', metatype: LoginDto })) as LoginDto;
    await this.authenticate(ctx);
    return true;
  }
}
