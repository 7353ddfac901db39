import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/** RFC 9457 problem details, the body of every error (`application/problem+json`). */
@ApiSchema({
  name: 'ProblemDetails',
  description: 'RFC 9457 problem details: the body of every error, as application/problem+json',
})
export class ProblemDetailsDto {
  @ApiProperty({
    description: '`urn:gatehouse:problem:` and the code in lower case',
    example: 'urn:gatehouse:problem:auth.forbidden',
  })
  type!: string;
  @ApiProperty({ description: 'the HTTP status phrase, lower case', example: 'forbidden' }) title!: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 403 }) status!: number;
  @ApiProperty({ example: 'no http permission allows POST /api/users' }) detail!: string;
  @ApiProperty({
    description: 'stable machine-readable code; each operation lists the codes it can answer',
    pattern: '^[A-Z0-9_]+(\\.[A-Z0-9_]+)*$',
    example: 'AUTH.FORBIDDEN',
  })
  code!: string;
  @ApiPropertyOptional({ type: [String], description: 'validation errors, one per broken rule' })
  errors?: string[];
}
