import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';

import { ItemList, Permission, Team } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

import { teamDefinitionToWire, teamFromWire } from './team-wire';
import { TeamDefinitionDto } from './teams.dto';

/**
 * Teams (auth's TeamsService): members (users, directory groups) and the roles they grant, each
 * optionally restricted to projects and/or environments. A change holds on every node within a
 * second: auth composes grants on every token check and gateways cache a principal for 1 s.
 */
@ApiTags('teams')
@Controller('teams')
export class TeamsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.UserView)
  @ApiOperation({ summary: 'List teams with their members and grants' })
  @ApiOkResponse({ description: 'Every team, by name' })
  async list(@Caller() caller: RequestCaller): Promise<ItemList<Team>> {
    const reply = await unary(this.backends.auth.listTeams({}, identityToMetadata(caller.identity)));
    return { items: reply.items.map(teamFromWire) };
  }

  @Get(':id')
  @RequirePermission(Permission.UserView)
  @ApiOperation({ summary: 'A team with its members and grants' })
  @ApiParam({ name: 'id', description: 'Team id' })
  @ApiOkResponse({ description: 'The team' })
  @ApiNotFoundResponse({ description: 'No such team' })
  async get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<Team> {
    return teamFromWire(await unary(this.backends.auth.getTeam({ id }, identityToMetadata(caller.identity))));
  }

  @Post()
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: 'Create a team',
    description:
      'Members are Flotilla users (by id) and directory groups (by objectSid / entryUUID / DN, with a name for display). ' +
      'Each grant is a role, optionally restricted to projectIds and/or environmentIds (left out: everywhere).',
  })
  @ApiCreatedResponse({ description: 'The team' })
  @ApiBadRequestResponse({ description: 'An unknown role or user id, or a malformed body' })
  @ApiConflictResponse({ description: 'A team of that name (in any letter case) exists' })
  async create(@Body() body: TeamDefinitionDto, @Caller() caller: RequestCaller): Promise<Team> {
    const team = await unary(
      this.backends.auth.createTeam(teamDefinitionToWire(body), identityToMetadata(caller.identity)),
    );
    return teamFromWire(team);
  }

  @Put(':id')
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({
    summary: 'Replace a team',
    description: 'Name, description, members and grants are replaced; every node honours it within a second.',
  })
  @ApiParam({ name: 'id', description: 'Team id' })
  @ApiOkResponse({ description: 'The team' })
  @ApiBadRequestResponse({ description: 'An unknown role or user id, or a malformed body' })
  @ApiNotFoundResponse({ description: 'No such team' })
  @ApiConflictResponse({ description: 'Another team has that name (in any letter case)' })
  async update(
    @Param('id') id: string,
    @Body() body: TeamDefinitionDto,
    @Caller() caller: RequestCaller,
  ): Promise<Team> {
    const team = await unary(
      this.backends.auth.updateTeam(
        { id, team: teamDefinitionToWire(body) },
        identityToMetadata(caller.identity),
      ),
    );
    return teamFromWire(team);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.UserEdit)
  @ApiOperation({ summary: 'Delete a team', description: 'Its members lose its grants within a second.' })
  @ApiParam({ name: 'id', description: 'Team id' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such team' })
  async delete(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.auth.deleteTeam({ id }, identityToMetadata(caller.identity)));
  }
}
