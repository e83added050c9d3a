import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const recordSendPause = new LuaScript('record-send-pause');
// How long a pause's window is remembered after it ends: long enough that an occurrence it held
// back is still recorded missed for the right reason by an instance that was down meanwhile.
const PAUSE_WINDOW_KEPT_MS = 24 * 3600_000;

/** The span of the latest 45009 pause (merged with the one before when they overlapped). */
export interface PauseWindow {
  start: number; // epoch ms
  end: number; // epoch ms; sends resume then
}

/**
 * WeChat's daily-quota pause (45009), shared by every instance: `wx:send_paused` stops the sends
 * while it lives, and `wx:send_paused:window` remembers the span of the latest pause, from whose
 * end the occurrences it held back count their misfire grace.
 */
export class SendPauseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** How long sends stay paused, ms; 0 when they are not. */
  async remainingMs(): Promise<number> {
    return Math.max(0, await this.redis.pTTL(this.keys.sendPause()));
  }

  /** The latest pause's window, or null when none happened in the last day. */
  async window(): Promise<PauseWindow | null> {
    return parseWindow(await this.redis.get(this.keys.sendPauseWindow()));
  }

  /**
   * Pauses every instance's sends for `pauseMs` from `start`, and returns the window that pause now
   * belongs to (extended from the previous one when that still mattered: record-send-pause.lua).
   * The window is written first: a pause whose window was lost could cost held-back sends their grace.
   */
  async pause(start: number, pauseMs: number, graceMs: number): Promise<PauseWindow | null> {
    const window = await recordSendPause.run<string>(
      this.redis,
      [this.keys.sendPauseWindow()],
      [start, start + pauseMs, graceMs, pauseMs + PAUSE_WINDOW_KEPT_MS],
    );
    await this.redis.set(this.keys.sendPause(), '45009', { PX: pauseMs });
    return parseWindow(window);
  }
}

function parseWindow(value: string | null): PauseWindow | null {
  const match = value ? /^(\d+):(\d+)$/.exec(value) : null;
  return match ? { start: Number(match[1]), end: Number(match[2]) } : null;
}
