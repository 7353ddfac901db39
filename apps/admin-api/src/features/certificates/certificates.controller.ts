import { Body, Controller, Delete, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { AuthSession } from '@gatehouse/identity';
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
  @ApiCreatedResponse({ type: IssuedCertificateDto })
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
  async revoke(
    @CurrentSession() s: AuthSession,
    @Param('id', uuid) id: string,
    @Param('fingerprint') fingerprint: string,
  ): Promise<void> {
    await this.certificates.revoke(s, id, fingerprint);
  }
}
