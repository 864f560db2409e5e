import { StringDecoder } from 'node:string_decoder';

/**
 * Turns a byte stream into lines as they arrive (UTF-8 safe across chunk boundaries);
 * a trailing "\r" is dropped so Windows-style output reads cleanly.
 *
 * At most `maxKeptChars` of one line are kept in memory: a script printing gigabytes without a
 * newline costs no more than that. `cutChars` tells how many characters of the line were left out.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private cutChars = 0;

  constructor(
    private readonly onLine: (line: string, cutChars: number) => void,
    private readonly maxKeptChars = Number.POSITIVE_INFINITY,
  ) {}

  push(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.keep(text.slice(start, newline));
      this.emit();
      start = newline + 1;
    }
    this.keep(text.slice(start));
  }

  /** Emits a last line that had no "\n". */
  end(): void {
    this.keep(this.decoder.end());
    if (this.partial.length > 0 || this.cutChars > 0) this.emit();
  }

  private keep(text: string): void {
    const room = this.maxKeptChars - this.partial.length;
    if (text.length <= room) this.partial += text;
    else {
      this.partial += text.slice(0, Math.max(0, room));
      this.cutChars += text.length - Math.max(0, room);
    }
  }

  private emit(): void {
    const line = this.cutChars > 0 ? this.partial : this.partial.replace(/\r$/, '');
    const cutChars = this.cutChars;
    this.partial = '';
    this.cutChars = 0;
    this.onLine(line, cutChars);
  }
}
