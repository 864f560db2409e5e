import {
  BadRequestException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { Package, PagedList, Permission } from '@flotilla/api-interfaces';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';
import { MultipartPackageUploader } from './multipart-upload';
import { PackageDownloader } from './package-download';
import { discardRestOfBody } from './discard-body';
import { PackageUploader, tooLarge } from './package-upload';
import { ListPackagesQueryDto, UploadPackageQueryDto } from './packages.dto';

@ApiTags('packages')
@Controller('packages')
export class PackagesController {
  constructor(
    private readonly backends: BackendClients,
    private readonly uploader: PackageUploader,
    private readonly multipart: MultipartPackageUploader,
    private readonly downloader: PackageDownloader,
    @Inject(FLOTILLA_CONFIG) private readonly config: FlotillaConfig,
  ) {}

  @Post()
  @RequirePermission(Permission.BuiltInFeedPush)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: { file: { type: 'string', format: 'binary' } },
      required: ['file'],
    },
  })
  uploadMultipart(@Req() request: Request, @Caller() caller: RequestCaller): Promise<Package> {
    return this.discardOnFailure(
      request,
      this.multipart.upload(request, this.config.maxPackageBytes, caller.identity),
    );
  }

  @Post('raw')
  @RequirePermission(Permission.BuiltInFeedPush)
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  uploadRaw(
    @Query() query: UploadPackageQueryDto,
    @Req() request: Request,
    @Caller() caller: RequestCaller,
  ): Promise<Package> {
    this.refuseDeclaredOversize(request);
    if (request.readableEnded) {
      // Only a JSON content type gets parsed before the route; packages are never JSON.
      throw new BadRequestException('Send the package body as application/octet-stream');
    }
    const upload = this.uploader.upload(
      request,
      query.fileName,
      this.config.maxPackageBytes,
      caller.identity,
    );
    return this.discardOnFailure(request, upload);
  }

  @Get()
  @RequirePermission(Permission.FeedView)
  async list(
    @Query() query: ListPackagesQueryDto,
    @Caller() caller: RequestCaller,
  ): Promise<PagedList<Package>> {
    const request = { packageId: query.packageId ?? '', skip: query.skip ?? 0, take: query.take ?? 0 };
    const reply = await unary(
      this.backends.artifacts.listPackages(request, identityToMetadata(caller.identity)),
    );
    return { items: reply.items, total: reply.total };
  }

  @Get(':packageId/:version')
  @RequirePermission(Permission.FeedView)
  get(
    @Param('packageId') packageId: string,
    @Param('version') version: string,
    @Caller() caller: RequestCaller,
  ): Promise<Package> {
    return unary(
      this.backends.artifacts.getPackage({ packageId, version }, identityToMetadata(caller.identity)),
    );
  }

  @Get(':packageId/:version/raw')
  @RequirePermission(Permission.FeedView)
  @ApiProduces('application/octet-stream')
  download(
    @Param('packageId') packageId: string,
    @Param('version') version: string,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    return this.downloader.download({ packageId, version }, caller.identity, response);
  }

  @Delete(':packageId/:version')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.BuiltInFeedAdminister)
  async delete(
    @Param('packageId') packageId: string,
    @Param('version') version: string,
    @Caller() caller: RequestCaller,
  ): Promise<void> {
    await unary(
      this.backends.artifacts.deletePackage({ packageId, version }, identityToMetadata(caller.identity)),
    );
  }

  /** A body announced bigger than the limit is refused before a byte is read. */
  private refuseDeclaredOversize(request: Request): void {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.config.maxPackageBytes) {
      discardRestOfBody(request);
      throw tooLarge(this.config.maxPackageBytes);
    }
  }

  /** When an upload fails part-way, the unread rest of the body is discarded (bounded) so the client sees the answer. */
  private async discardOnFailure<T>(request: Request, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      discardRestOfBody(request);
      throw error;
    }
  }
}
