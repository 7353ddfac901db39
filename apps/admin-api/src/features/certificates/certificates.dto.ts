import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { MAX_CSR_LENGTH } from '../client-registry/client-registry.dto';

export class IssueCertificateDto {
  @ApiProperty({
    description:
      "PEM PKCS#10 certificate request whose CN is the user's username; the private key stays with the client",
  })
  @IsString()
  @MaxLength(MAX_CSR_LENGTH)
  csr!: string;
}

export class IssuedCertificateDto {
  @ApiProperty({ description: 'SHA-256 of the DER certificate, lower-case hex' }) fingerprint!: string;
  @ApiProperty({ description: 'serial number, hex' }) serial!: string;
  @ApiProperty() notBefore!: Date;
  @ApiProperty() notAfter!: Date;
  @ApiProperty({ description: 'PEM client certificate (CN = username, client-auth)' }) certificate!: string;
  @ApiProperty({ description: 'PEM certificate of the Gatehouse CA' }) caCertificate!: string;
}
