import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 9457 problem details, the body of every error (`application/problem+json`). */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'https://gatehouse.dev/problems/forbidden' }) type!: string;
  @ApiProperty({ example: 'Forbidden' }) title!: string;
  @ApiProperty({ example: 403 }) status!: number;
  @ApiProperty({ example: 'no http permission allows POST /api/users' }) detail!: string;
  @ApiProperty({ example: 'AUTH.FORBIDDEN' }) code!: string;
  @ApiPropertyOptional({ type: [String], description: 'validation errors, one per broken rule' })
  errors?: string[];
}
