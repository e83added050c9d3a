/**
 * The one vocabulary of how an occurrence ends, shared by delivery records, the reminder's status,
 * the stats counters (stats:{u<shard>}:sends:<day>, one field per outcome) and the metrics' `result` label.
 * It imports nothing, so that src/domain can derive the reminder's status from it.
 */
export const OUTCOMES = ['sent', 'failed', 'missed', 'no_quota', 'rate_limited'] as const;

/**
 * How one occurrence ended. missed: older than the misfire grace, no call made; no_quota: no
 * subscription grant (ledger empty, or WeChat's 43101); rate_limited: the user had reached
 * USER_DAILY_SEND_LIMIT that day.
 */
export type Outcome = (typeof OUTCOMES)[number];

/** One attempt in a delivery record: its occurrence's outcome, or a step on the way to one. */
export type AttemptResult = Outcome | 'retry' | 'paused';

/**
 * What a send came to: an outcome to record, or none — paused: WeChat's daily quota (45009), the
 * claim is given back untouched; lost: the claim went elsewhere mid-retry, its holder records.
 */
export type SendStatus = Exclude<Outcome, 'missed'> | 'paused' | 'lost';

export function isOutcome(status: string): status is Outcome {
  return (OUTCOMES as readonly string[]).includes(status);
}

/** The UTC day (`YYYY-MM-DD`) an outcome is counted on in the stats. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
