import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

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
    const reply = await unary(this.backends.auth.createApiKey(body, identityToMetadata(caller.identity)));
    if (!reply.key) throw new Error('auth created an API key without its record');
    return { key: reply.key, secret: reply.secret };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async revoke(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.auth.revokeApiKey({ id }, identityToMetadata(caller.identity)));
  }
}
