import type { Config } from '../config';
import type { QuotaStore } from '../store/quota-store';

/**
 * What a create answers about the caller's grants for the reminder's template (docs/architecture.md#the-quota-hint), so the
 * client knows at once whether it will reach WeChat and what to ask `wx.requestSubscribeMessage`
 * for. `remaining` is the ledger's number in either mode; `mode: "ignore"` says sends do not need it.
 */
export interface QuotaHint {
  templateId: string;
  remaining: number;
  mode: Config['quotaMode'];
}

/** Reads the hint of one template from the grant ledger (`quota:<openid>`). */
export class QuotaHints {
  constructor(private readonly deps: { quota: Pick<QuotaStore, 'remaining'>; mode: Config['quotaMode'] }) {}

  /** The hint of `templateId` from grants already read (a create reads them in its own script). */
  hint(templateId: string, remaining: number): QuotaHint {
    return { templateId, remaining, mode: this.deps.mode };
  }

  async of(openid: string, templateId: string): Promise<QuotaHint> {
    const ledger = await this.deps.quota.remaining(openid);
    // An own property only: a template id never reads a property of Object.prototype.
    const remaining = Object.hasOwn(ledger, templateId) ? (ledger[templateId] ?? 0) : 0;
    return { templateId, remaining, mode: this.deps.mode };
  }
}
