import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { ClusterNode, ItemList, Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';
import { UpdateNodeDto } from './update-node.dto';

@ApiTags('nodes')
@Controller('nodes')
export class NodesController {
  constructor(private readonly backends: BackendClients) {}

  /** Nodes are where tasks run, so whoever may see tasks may see the nodes. */
  @Get()
  @RequirePermission(Permission.TaskView)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<ClusterNode>> {
    const reply = await unary(this.backends.orchestrator.listNodes({}, identityToMetadata(caller.identity)));
    return { items: reply.items };
  }

  @Get(':name')
  @RequirePermission(Permission.TaskView)
  get(@Param('name') name: string, @Caller() caller: RequestCaller): Promise<ClusterNode> {
    return unary(this.backends.orchestrator.getNode({ name }, identityToMetadata(caller.identity)));
  }

  /** Task cap and drain flag; fields left out stay as they are. */
  @Put(':name')
  @RequirePermission(Permission.AdministerSystem)
  update(
    @Param('name') name: string,
    @Body() body: UpdateNodeDto,
    @Caller() caller: RequestCaller,
  ): Promise<ClusterNode> {
    const request = { name, taskCap: body.taskCap, isDraining: body.isDraining };
    return unary(this.backends.orchestrator.updateNode(request, identityToMetadata(caller.identity)));
  }

  /** Only an Offline node can be removed; the orchestrator refuses a live one (409). */
  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.AdministerSystem)
  async remove(@Param('name') name: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.orchestrator.removeNode({ name }, identityToMetadata(caller.identity)));
  }
}
