import { Body, Controller, Delete, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthSession } from '@gatehouse/identity';
import { ApiProblems, BODY_PROBLEMS } from '../../http/api-problems.decorator';
import { HandsOut } from '../../http/escalation.decorator';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { CertificatesAppService } from './certificates.app-service';
import { IssueCertificateDto, IssuedCertificateDto } from './certificates.dto';
import { Audited } from '../../http/audited.decorator';

const uuid = new ParseUUIDPipe({ version: undefined });

/** `POST /api/users/{id}/certificates {csr}` and `DELETE /api/users/{id}/certificates/{fingerprint}` (SPEC 2.3). */
@ApiTags('users')
@Controller('users')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesAppService) {}

  @Post(':id/certificates')
  @HttpPermission()
  @Audited({ action: 'certificate.issue', target: 'certificate', ownerParam: 'id' })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @ApiOperation({ summary: 'Issue a client certificate for a user from a CSR (mTLS login at the gateway)' })
  @ApiCreatedResponse({ type: IssuedCertificateDto })
  @ApiProblems(
    'HTTP.400',
    ...BODY_PROBLEMS,
    'REGISTRY.INVALID_CSR',
    'IDENTITY.USER_NOT_FOUND',
    'REGISTRY.CA_UNAVAILABLE',
  )
  async issue(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Body() dto: IssueCertificateDto,
  ): Promise<IssuedCertificateDto> {
    const c = await this.certificates.issue(s, id, dto.csr);
    return {
      fingerprint: c.fingerprint,
      serial: c.serial,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      certificate: c.certificatePem,
      caCertificate: c.caCertificatePem,
    };
  }

  /** Revokes the certificate: live sessions that used it are disconnected, the next CONNECT with it is refused. */
  @Delete(':id/certificates/:fingerprint')
  @HttpPermission()
  @Audited({ action: 'certificate.revoke', target: 'certificate', idParam: 'fingerprint', ownerParam: 'id' })
  @HandsOut({ to: 'user', handsOut: ['credentials-of-target-user'] })
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke a user's certificate: its live sessions end, its next CONNECT is refused",
  })
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiProblems('HTTP.400', 'IDENTITY.USER_NOT_FOUND', 'IDENTITY.CERTIFICATE_NOT_FOUND')
  async revoke(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Param('fingerprint') fingerprint: string,
  ): Promise<void> {
    await this.certificates.revoke(s, id, fingerprint);
  }
}
