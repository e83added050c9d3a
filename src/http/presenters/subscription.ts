import type { ReportAnswer, SubscriptionView } from '../../services/subscription-service';

/** `GET /api/subscriptions`: one-time grants left per template, and whether reports count. */
export interface QuotaView {
  quota: Record<string, number>; // templateId → grants left
  counted: boolean; // whether this server counts client reports as grants (false: push events do)
}

/** `POST /api/subscriptions`: the quota after the report, and the templates that counted for nothing. */
export interface ReportView extends QuotaView {
  ignored: { templateId: string; reason: string }[];
}

export function presentQuota(view: SubscriptionView): QuotaView {
  return { quota: view.quota, counted: view.counted };
}

export function presentReport(answer: ReportAnswer): ReportView {
  return {
    quota: answer.quota,
    counted: answer.counted,
    ignored: answer.ignored.map(({ templateId, reason }) => ({ templateId, reason })),
  };
}
