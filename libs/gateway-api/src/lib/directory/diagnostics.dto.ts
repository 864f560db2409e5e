import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

/**
 * POST /api/directory/diagnostics: the name to test, and nothing else. A password is never taken
 * (the global pipe refuses unknown properties with 400), so diagnostics cannot become a way to
 * check someone's password.
 */
export class DirectoryDiagnosticsDto {
  @ApiProperty({ description: 'A sign-in name: user, DOMAIN\\user or a UPN', example: 'alice@example.com' })
  @IsString()
  @Length(1, 1024)
  name!: string;
}
