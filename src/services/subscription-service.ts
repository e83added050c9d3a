import type { QuotaStore } from '../store/quota-store';
import type { SubscribeResult, SubscriptionReportStore } from '../store/subscription-report-store';

export type { SubscribeResult } from '../store/subscription-report-store';

/** The errMsg of a wx.requestSubscribeMessage that succeeded; anything else grants nothing. */
export const POPUP_OK = 'requestSubscribeMessage:ok';

export interface SubscriptionView {
  quota: Record<string, number>; // templateId → one-time grants left
  counted: boolean; // whether this server counts client reports as grants
}

export interface IgnoredReport {
  templateId: string;
  reason: string;
}

export interface ReportAnswer extends SubscriptionView {
  ignored: IgnoredReport[]; // reported templates that counted for nothing, and why
}

/** A popup's result as the client reports it: per template, and the popup's errMsg when sent. */
export interface PopupReport {
  results: ReadonlyMap<string, SubscribeResult>;
  errMsg?: string;
}

export interface SubscriptionServiceDeps {
  quota: Pick<QuotaStore, 'grant' | 'remaining'>;
  reports: Pick<SubscriptionReportStore, 'record'>;
  /** The template ids this deployment sends with (config/templates.json): the only ones reports count for. */
  templateIds: ReadonlySet<string>;
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

  /**
   * Records a popup's results for the configured templates; each accept is one grant unless the
   * push events count them. Templates this server does not send with, and every result of a popup
   * that failed, are ignored and listed as such: a client cannot grow the user's records with
   * made-up template ids, nor be granted by a popup WeChat never showed.
   */
  async report(openid: string, report: PopupReport): Promise<ReportAnswer> {
    const { quota, reports, templateIds, now } = this.deps;
    const popupOk = report.errMsg === undefined || report.errMsg === POPUP_OK;
    const kept = new Map<string, SubscribeResult>();
    const ignored: IgnoredReport[] = [];
    for (const [templateId, result] of report.results) {
      if (!templateIds.has(templateId)) {
        ignored.push({ templateId, reason: 'not a template this server sends with' });
      } else if (!popupOk) {
        ignored.push({ templateId, reason: `the popup did not succeed (errMsg is not ${POPUP_OK})` });
      } else {
        kept.set(templateId, result);
      }
    }
    if (kept.size > 0) await reports.record(openid, kept, now());
    if (this.counted) {
      const accepted = [...kept]
        .filter(([, result]) => result === 'accept')
        .map(([templateId]) => templateId);
      await Promise.all(accepted.map((templateId) => quota.grant(openid, templateId)));
    }
    // Every template kept gets a number, also one never granted, so the client can read its
    // answer per template without a missing-key case. A Map, so that no id is taken for a
    // property of Object.prototype (`constructor`, `__proto__`).
    const remaining = new Map(Object.entries(await quota.remaining(openid)));
    for (const templateId of kept.keys()) if (!remaining.has(templateId)) remaining.set(templateId, 0);
    return { quota: Object.fromEntries(remaining), counted: this.counted, ignored };
  }

  async view(openid: string): Promise<SubscriptionView> {
    return { quota: await this.deps.quota.remaining(openid), counted: this.counted };
  }
}
