import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * A streaming destination as an administrator sends it. The audit service checks the rest (https
 * only, host:port, the CA's PEM, the secret's length) and says what is wrong in the 400.
 */
export class SaveAuditStreamDto {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: ['webhook', 'syslog'] })
  @IsIn(['webhook', 'syslog'])
  kind!: 'webhook' | 'syslog';

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiProperty({
    description: 'https://… for a webhook; host:port of a syslog-over-TLS receiver',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  target!: string;

  @ApiPropertyOptional({
    description:
      "The webhook's HMAC-SHA256 secret (16 to 512 characters); required to create one, left out on update to keep it",
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  secret?: string;

  @ApiPropertyOptional({ description: "PEM of the private CA the destination's certificate chains to" })
  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  caPem?: string;

  @ApiPropertyOptional({ description: 'syslog only: local0 (default) … local7, user, auth, authpriv' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  facility?: string;

  @ApiPropertyOptional({
    description: 'On create: deliver the whole trail instead of starting at the destination itself',
  })
  @IsOptional()
  @IsBoolean()
  fromBeginning?: boolean;
}
