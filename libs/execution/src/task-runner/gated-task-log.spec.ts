import { FakeLog } from '../test-support/task-runner-doubles';
import { GatedTaskLog, MAX_HELD_LINES } from './gated-task-log';

function setup() {
  const sink = new FakeLog();
  let open = false;
  let heldSignals = 0;
  const sut = new GatedTaskLog(sink, { isOpen: () => open, onHeld: () => (heldSignals += 1) });
  return { sut, sink, setOpen: (value: boolean) => (open = value), heldSignals: () => heldSignals };
}

describe(GatedTaskLog.name, () => {
  it('holds lines while the claim is unconfirmed and writes them in order once it is', () => {
    const { sut, sink, setOpen, heldSignals } = setup();
    sut.info('one');
    sut.warning('two');
    expect(sink.lines).toEqual([]);
    expect(heldSignals()).toBe(2);
    setOpen(true);
    // A line logged before the release still queues behind the held ones.
    sut.error('three');
    sut.release();
    sut.info('four');
    expect(sink.lines).toEqual(['Info: one', 'Warning: two', 'Error: three', 'Info: four']);
  });

  it('drops lines beyond its bound, marks the gap where they are missing and counts them as lost', async () => {
    const { sut, sink, setOpen } = setup();
    sink.integrity = () => ({ linesLost: 3, problem: 'shared storage full (ENOSPC)' });
    for (let line = 0; line < MAX_HELD_LINES + 25; line += 1) sut.info(`line ${line}`);
    setOpen(true);
    sut.release();
    sut.info('after');
    await sut.close();
    expect(sink.lines).toHaveLength(MAX_HELD_LINES + 2);
    expect(sink.lines[MAX_HELD_LINES - 1]).toBe(`Info: line ${MAX_HELD_LINES - 1}`);
    expect(sink.lines[MAX_HELD_LINES]).toBe(
      "Warning: Log gap: 25 line(s) dropped while the task's claim was unconfirmed",
    );
    expect(sink.lines[MAX_HELD_LINES + 1]).toBe('Info: after');
    expect(sut.integrity()).toEqual({
      linesLost: 28,
      problem: "shared storage full (ENOSPC); 25 line(s) dropped while the task's claim was unconfirmed",
    });
  });

  it('passes the sink’s integrity on unchanged when it dropped nothing itself', () => {
    const { sut, sink } = setup();
    sink.integrity = () => ({ linesLost: 0, problem: '' });
    expect(sut.integrity()).toEqual({ linesLost: 0, problem: '' });
  });

  it('discards held lines when abandoned (another node owns the log)', async () => {
    const { sut, sink, setOpen } = setup();
    sut.info('held');
    await sut.abandon();
    setOpen(true);
    sut.release();
    sut.info('late');
    expect(sink.lines).toEqual([]);
    expect(sink.state).toBe('abandoned');
  });
});
