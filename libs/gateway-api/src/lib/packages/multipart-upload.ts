import type { IncomingMessage } from 'node:http';

import { BadRequestException, Injectable } from '@nestjs/common';
import busboy from 'busboy';

import { artifactsV1 } from '@flotilla/contracts';
import type { CallerIdentity } from '@flotilla/platform/grpc';

import { asError } from '../common/as-error';
import { PackageUploader } from './package-upload';

export const PACKAGE_FILE_FIELD = 'file';

/**
 * Reads a multipart/form-data body and streams its `file` part to the artifact service as it is
 * parsed; other parts are skipped. Busboy applies backpressure from the part to the request.
 */
@Injectable()
export class MultipartPackageUploader {
  constructor(private readonly uploader: PackageUploader) {}

  upload(request: IncomingMessage, maxBytes: number, identity: CallerIdentity): Promise<artifactsV1.Package> {
    return new Promise<artifactsV1.Package>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: request.headers,
          limits: { files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024 },
        });
      } catch {
        reject(new BadRequestException('Expected a multipart/form-data body with a boundary'));
        return;
      }
      let upload: Promise<artifactsV1.Package> | undefined;
      const stop = (error: unknown): void => {
        request.unpipe(parser);
        request.pause();
        reject(asError(error));
      };
      parser.on('file', (field, file, info) => {
        if (field !== PACKAGE_FILE_FIELD || upload) {
          file.resume();
          return;
        }
        if (!info.filename) {
          file.resume();
          stop(new BadRequestException(`The "${PACKAGE_FILE_FIELD}" part has no file name`));
          return;
        }
        upload = this.uploader.upload(file, info.filename, maxBytes, identity);
        upload.catch(stop);
      });
      parser.on('error', (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        stop(new BadRequestException(`Malformed multipart body: ${reason}`));
      });
      parser.on('close', () => {
        if (!upload) reject(new BadRequestException(`Missing the "${PACKAGE_FILE_FIELD}" file part`));
        else upload.then(resolve, reject);
      });
      request.pipe(parser);
    });
  }
}
