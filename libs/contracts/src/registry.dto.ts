import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';

/** PEM CA certificates that gateways accept as issuers of client certificates (SPEC 3, 4). */
export class CaCertificatesDto {
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MaxLength(65535, { each: true })
  certificates!: string[];
}
