import { StringDecoder } from 'node:string_decoder';

/**
 * Turns a byte stream into lines as they arrive (UTF-8 safe across chunk boundaries);
 * a trailing "\r" is dropped so Windows-style output reads cleanly.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.replace(/\r$/, ''));
  }

  /** Emits a last line that had no "\n". */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.onLine(rest.replace(/\r$/, ''));
  }
}
