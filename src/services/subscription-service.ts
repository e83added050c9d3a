import type { QuotaStore } from '../store/quota-store';
import type { SubscribeResult, SubscriptionReportStore } from '../store/subscription-report-store';

export type { SubscribeResult } from '../store/subscription-report-store';

export interface SubscriptionView {
  quota: Record<string, number>; // templateId → one-time grants left
  counted: boolean; // whether this server counts client reports as grants
}

export interface SubscriptionServiceDeps {
  quota: Pick<QuotaStore, 'grant' | 'remaining'>;
  reports: Pick<SubscriptionReportStore, 'record'>;
  /**
   * True when message push is configured (WX_TOKEN): WeChat then pushes every accept as a
   * subscribe_msg_popup_event, which is the grant; counting the client's report of the same tap
   * as well would grant twice.
   */
  pushConfigured: boolean;
  now: () => number;
}

/** The client's reports of `wx.requestSubscribeMessage` and the caller's view of the quota ledger. */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  get counted(): boolean {
    return !this.deps.pushConfigured;
  }

  /** Records a popup's results; each accept is one grant unless the push events count them. */
  async report(openid: string, results: Record<string, SubscribeResult>): Promise<SubscriptionView> {
    const { quota, reports, now } = this.deps;
    await reports.record(openid, results, now());
    if (this.counted) {
      const accepted = Object.keys(results).filter((templateId) => results[templateId] === 'accept');
      await Promise.all(accepted.map((templateId) => quota.grant(openid, templateId)));
    }
    const view = await this.view(openid);
    // Every template just reported gets a number, also one never granted, so the client can read
    // its answer per template without a missing-key case.
    for (const templateId of Object.keys(results)) view.quota[templateId] ??= 0;
    return view;
  }

  async view(openid: string): Promise<SubscriptionView> {
    return { quota: await this.deps.quota.remaining(openid), counted: this.counted };
  }
}
