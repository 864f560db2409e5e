import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length } from 'class-validator';

import { ApiKey, CreateApiKeyRequest, CreatedApiKey, ItemList, Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class CreateApiKeyDto implements CreateApiKeyRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  purpose!: string;

  @ApiPropertyOptional({
    description:
      'ISO-8601 instant after which the key is refused like a revoked one (at most 3650 days ahead, judged by the database clock); omit for a key that never expires',
    example: '2027-01-31T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

/** The caller's own API keys (auth scopes every call to the user in the metadata). */
@ApiTags('apikeys')
@Controller('apikeys')
@RequirePermission(Permission.ApiKeyEdit)
export class ApiKeysController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  async list(@Caller() caller: RequestCaller): Promise<ItemList<ApiKey>> {
    const reply = await unary(this.backends.auth.listApiKeys({}, identityToMetadata(caller.identity)));
    return { items: reply.items };
  }

  @Post()
  async create(@Body() body: CreateApiKeyDto, @Caller() caller: RequestCaller): Promise<CreatedApiKey> {
    const reply = await unary(
      this.backends.auth.createApiKey(
        { purpose: body.purpose, expiresAt: body.expiresAt ?? '' },
        identityToMetadata(caller.identity),
      ),
    );
    if (!reply.key) throw new Error('auth created an API key without its record');
    return { key: reply.key, secret: reply.secret };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async revoke(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.auth.revokeApiKey({ id }, identityToMetadata(caller.identity)));
  }
}
