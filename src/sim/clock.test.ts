import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';

describe('VirtualClock', () => {
  it('fires sleeps in due order as time advances, and never on its own', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    void clock.sleep(300).then(() => fired.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => fired.push(`a@${clock.now()}`));
    void clock.sleep(300).then(() => fired.push(`c@${clock.now()}`));
    await clock.advanceTo(1050);
    expect(fired).toEqual([]);
    await clock.advanceTo(2000);
    expect(fired).toEqual(['a@1100', 'b@1300', 'c@1300']);
    expect(clock.now()).toBe(2000);
    expect(clock.pending).toBe(0);
  });

  it('drops an aborted sleep at once and rejects it with the reason', async () => {
    const clock = new VirtualClock(0);
    const abort = new AbortController();
    const sleeping = clock.sleep(10_000, abort.signal);
    expect(clock.pending).toBe(1);
    abort.abort(new Error('tick done'));
    await expect(sleeping).rejects.toThrow('tick done');
    expect(clock.pending).toBe(0);
  });

  it('refuses to go back in time', async () => {
    const clock = new VirtualClock(5000);
    await expect(clock.advanceTo(4000)).rejects.toThrow('before now');
    expect(() => clock.advanceIdle(4000)).toThrow('before now');
  });

  it.each([
    { case: 'no sleep at all', sleeps: [], aborted: [], target: 2000, moved: true },
    { case: 'a sleep due later', sleeps: [1500], aborted: [], target: 2000, moved: true },
    { case: 'a sleep due by the target', sleeps: [500], aborted: [], target: 2000, moved: false },
    { case: 'a sleep due exactly at the target', sleeps: [1000], aborted: [], target: 2000, moved: false },
    { case: 'only aborted sleeps due', sleeps: [200, 500], aborted: [0, 1], target: 2000, moved: true },
    {
      case: 'an aborted sleep before a live one',
      sleeps: [200, 500],
      aborted: [0],
      target: 2000,
      moved: false,
    },
  ])('advanceIdle moves time without yielding only when no sleep wakes: $case', async (c) => {
    const clock = new VirtualClock(1000);
    const fired: number[] = [];
    c.sleeps.forEach((ms, i) => {
      const abort = new AbortController();
      clock.sleep(ms, abort.signal).then(
        () => fired.push(i),
        () => undefined,
      );
      if (c.aborted.includes(i)) abort.abort(new Error('done'));
    });
    expect(clock.advanceIdle(c.target)).toBe(c.moved);
    expect(clock.now()).toBe(c.moved ? c.target : 1000);
    await clock.advanceTo(c.target);
    expect(fired).toEqual(
      c.sleeps.map((_, i) => i).filter((i) => !c.aborted.includes(i) && c.sleeps[i]! <= 1000),
    );
  });
});
