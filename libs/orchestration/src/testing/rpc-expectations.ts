import { RpcException } from '@nestjs/microservices';

/** The gRPC code and message a service call was refused with; fails when it was not refused. */
export async function rpcRefusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RpcException) return error.getError() as { code: number; message: string };
    throw error;
  }
  throw new Error('expected the call to be refused');
}
