import { MASK } from './secret-masking';
import { TaskOutputLimiter } from './task-output-limits';

describe(TaskOutputLimiter.name, () => {
  it('cuts a long line with a marker saying so', () => {
    const limiter = new TaskOutputLimiter({ maxLineChars: 10, maxTotalBytes: 1000 });
    expect(limiter.admit('0123456789abc')).toEqual({ text: '0123456789 [line cut at 10 characters]' });
    expect(limiter.admit('0123456789')).toEqual({ text: '0123456789' });
    // The reader already left part of this one out.
    expect(limiter.admit('short', 5000)).toEqual({ text: 'short [line cut at 10 characters]' });
  });

  it('masks before cutting, so a value across the cut shows none of itself', () => {
    const limiter = new TaskOutputLimiter({ maxLineChars: 10, maxTotalBytes: 1000 }, ['SECRETVALUE']);
    const admitted = limiter.admit('xxxxxxxSECRETVALUE');
    expect(admitted).toEqual({ text: `xxxxxxx${MASK.slice(0, 3)} [line cut at 10 characters]` });
    expect(JSON.stringify(admitted)).not.toMatch(/SEC/);
  });

  it('drops output beyond the total cap, says so once, and counts what it dropped', () => {
    const limiter = new TaskOutputLimiter({ maxLineChars: 100, maxTotalBytes: 10 });
    expect(limiter.admit('12345')).toEqual({ text: '12345' });
    expect(limiter.admit('67890')).toEqual({ text: '67890' });
    expect(limiter.admit('more')).toEqual({
      dropped: true,
      notice: "The task's output reached its cap of 10 bytes: further output is dropped (counted at the end)",
    });
    expect(limiter.admit('and more')).toEqual({ dropped: true });
    // A short line that would still fit is dropped too: nothing after the first dropped line.
    expect(limiter.admit('')).toEqual({ dropped: true });
    expect(limiter.droppedSummary()).toBe(
      "Dropped 3 lines (12 bytes) of script output beyond the task's cap of 10 bytes",
    );
  });

  it('has nothing to say when nothing was dropped', () => {
    const limiter = new TaskOutputLimiter();
    limiter.admit('fine');
    expect(limiter.droppedSummary()).toBeUndefined();
    expect(limiter.limits).toEqual({ maxLineChars: 16 * 1024, maxTotalBytes: 50 * 1024 * 1024 });
  });

  it('never splits a character made of two UTF-16 units', () => {
    const limiter = new TaskOutputLimiter({ maxLineChars: 4, maxTotalBytes: 1000 });
    expect(limiter.admit('abc😀def')).toEqual({ text: 'abc [line cut at 4 characters]' });
  });
});
