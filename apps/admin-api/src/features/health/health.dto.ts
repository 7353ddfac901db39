import { ApiProperty } from '@nestjs/swagger';

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ enum: ['ok'], description: 'the database answered a query' }) database!: 'ok';
  @ApiProperty({ enum: ['ok'], description: 'the transport to the gateways takes requests' })
  transport!: 'ok';
}
