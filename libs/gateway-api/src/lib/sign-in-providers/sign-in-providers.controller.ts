import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { PublicRoute } from '../security/route-access';
import { SignInProviders, signInProviders } from './sign-in-providers';

@ApiTags('users')
@Controller('auth')
export class SignInProvidersController {
  /** Read once: the variables do not change while the process runs. */
  private readonly providers = signInProviders();

  /** Public like sign-in: the page needs it before anyone is signed in. */
  @Get('providers')
  @PublicRoute()
  @ApiOperation({
    summary: 'Where sign-in checks passwords',
    description: 'The configured directory (kind and domain) or null; local accounts always work.',
  })
  @ApiOkResponse({ description: '{ directory: { kind, domain } | null }' })
  get(): SignInProviders {
    return this.providers;
  }
}
