import type {
  AdmissionBatch,
  GrantReturn,
  SendAllowance,
  SendLimiter,
  SendRequest,
} from '../store/send-limiter';
import { Batcher } from './batch';

/** What a send was admitted with: given back by `Admission.giveBack` when the message did not go out. */
export type AdmissionTicket = SendAllowance;

/**
 * Whether one message may be sent now. ok: a grant (QUOTA_MODE=enforce) and a send of the user's
 * day were taken; no_quota / rate_limited: neither was, the occurrence ends so (`errmsg` for its
 * record); paused: a 45009 pause is in force for `remainingMs`, nothing was taken.
 */
export type AdmissionResult =
  | { status: 'ok'; ticket: AdmissionTicket }
  | { status: 'no_quota' | 'rate_limited'; errmsg: string }
  | { status: 'paused'; remainingMs: number };

export interface AdmissionOptions {
  limiter: Pick<SendLimiter, 'admit' | 'giveBack' | 'limit'>;
  quotaMode: 'enforce' | 'ignore'; // QUOTA_MODE: enforce takes a subscription grant per send
}

const NO_GRANT = 'no subscription grant left for this template: the user must accept it again';

/**
 * The pipeline's admission step (docs/architecture.md#per-user-daily-send-limit), between the
 * rendering of a message and its call to WeChat: the subscription grant, the user's daily
 * allowance and the 45009 pause, checked and taken for every send admitted in one turn of the
 * event loop in one script call per shard of the users (SendLimiter.admit: the pause, a global
 * key, is read once for the batch just before), and given back the same way (rare: a message
 * that did not go out).
 */
export class Admission {
  private readonly admits: Batcher<SendRequest, AdmissionResult>;
  private readonly returns: Batcher<{ allowance: SendAllowance; grant: GrantReturn }, void>;

  constructor(private readonly options: AdmissionOptions) {
    const { limiter } = options;
    const rateLimited = `the user has had ${limiter.limit} subscribe messages today (USER_DAILY_SEND_LIMIT)`;
    this.admits = new Batcher(async (requests) => {
      const batch: AdmissionBatch = await limiter.admit(requests, options.quotaMode === 'enforce');
      if (batch.answers === null) {
        const paused: AdmissionResult = { status: 'paused', remainingMs: batch.pausedMs };
        return requests.map(() => paused);
      }
      return batch.answers.map((a): AdmissionResult => {
        if (a.status === 'ok') return { status: 'ok', ticket: a.allowance };
        return { status: a.status, errmsg: a.status === 'no_quota' ? NO_GRANT : rateLimited };
      });
    });
    this.returns = new Batcher<{ allowance: SendAllowance; grant: GrantReturn }, void>(async (returns) => {
      await limiter.giveBack(returns);
      return [];
    });
  }

  /** Admits one message to `openid` with `templateId`. */
  admit(openid: string, templateId: string): Promise<AdmissionResult> {
    return this.admits.add({ openid, templateId });
  }

  /**
   * Gives back what `ticket` took, for a message that did not reach the user; `zeroGrant`: WeChat
   * answered 43101, so the ledger of that template goes to zero instead (whatever the mode).
   */
  giveBack(ticket: AdmissionTicket, zeroGrant = false): Promise<void> {
    const grant: GrantReturn = zeroGrant ? 'zero' : ticket.granted ? 'return' : 'keep';
    return this.returns.add({ allowance: ticket, grant });
  }
}
