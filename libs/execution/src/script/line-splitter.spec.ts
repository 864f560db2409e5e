import { LineSplitter } from './line-splitter';

describe(LineSplitter.name, () => {
  function split(chunks: string[], maxKeptChars?: number): [string, number][] {
    const lines: [string, number][] = [];
    const splitter = new LineSplitter((line, cut) => lines.push([line, cut]), maxKeptChars);
    for (const chunk of chunks) splitter.push(Buffer.from(chunk));
    splitter.end();
    return lines;
  }

  it('splits across chunks, drops a trailing \\r and emits a last line without \\n', () => {
    expect(split(['one\r\ntw', 'o\n\nthr', 'ee'])).toEqual([
      ['one', 0],
      ['two', 0],
      ['', 0],
      ['three', 0],
    ]);
  });

  it('keeps at most maxKeptChars of a line and counts the rest, chunk after chunk', () => {
    expect(split(['abcdef', 'ghij\nshort\nxyz'], 4)).toEqual([
      ['abcd', 6],
      ['shor', 1],
      ['xyz', 0],
    ]);
  });

  it('keeps UTF-8 characters whole across chunk boundaries', () => {
    const bytes = Buffer.from('é\n');
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push(bytes.subarray(0, 1));
    splitter.push(bytes.subarray(1));
    expect(lines).toEqual(['é']);
  });
});
