import type { Notice, NoticeStatus, Urgency } from '../../domain/notice';
import type { ConsoleSession, StartedLogin } from '../../services/console-auth';
import type { OpsOverview } from '../../services/console-ops';
import type { HealthView } from './health';
import { presentHealth } from './health';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `GET /api/console/session` and every sign-in: what the page's script may know (no token). */
export interface ConsoleSessionView {
  kind: 'operator' | 'publisher';
  csrfToken: string; // send it back as X-CSRF-Token on every write
  expiresAt: string;
  sandbox: boolean; // the WeChat sandbox runs (sandbox mode)
}

/** `POST /api/console/login`: the QR code to scan, and how the page follows it. */
export interface ConsoleLoginView {
  nonce: string; // poll GET /api/console/login/{nonce}
  qrcode: string; // data:image/png;base64,… of getwxacodeunlimit (scene l:<nonce>)
  scene: string;
  expiresAt: string;
  simulate: boolean; // sandbox mode: POST /api/console/login/{nonce}/simulate is there
}

/** `GET /api/console/login/{nonce}`: still waiting, or signed in (the cookie is set). */
export type ConsolePollView = { status: 'pending' } | { status: 'approved'; session: ConsoleSessionView };

export interface ConsoleApprovedView {
  approved: true;
}

export interface ConsoleSignedOutView {
  signedOut: true;
}

/** `GET /api/console/ops/overview`: times in ISO 8601; no token, no title, no openid. */
export interface OpsOverviewView {
  health: HealthView;
  instances: {
    id: string;
    version: string;
    pid: number;
    host: string;
    startedAt: string;
    seenAt: string;
    jobsHeld: number;
    sendsInFlight: number;
    scheduler: 'running' | 'stopped';
  }[];
  nextDue: {
    source: 'reminder' | 'notification';
    id: string;
    kind: string;
    repeat: 'once' | 'daily' | 'cron' | null;
    dueAt: string;
  }[];
  token: { present: boolean; expiresAt: string | null };
  pause: { paused: boolean; remainingSeconds: number; lastWindow: { start: string; end: string } | null };
  quotaMode: 'enforce' | 'ignore';
  sandbox: boolean;
  generatedAt: string;
}

/** One of the caller's notices in `GET /api/console/notices`. */
export interface ConsoleNoticeView {
  id: string;
  title: string;
  category: string;
  urgency: Urgency;
  status: NoticeStatus;
  groups: { id: string; name: string }[];
  recipients: number | null;
  requireConfirm: boolean;
  publishAt: string;
  publishedAt: string | null;
  createdAt: string;
}

export interface ConsoleNoticePageView {
  items: ConsoleNoticeView[];
}

export interface AudienceCountView {
  recipients: number;
}

export function presentConsoleSession(session: ConsoleSession, sandbox: boolean): ConsoleSessionView {
  return {
    kind: session.kind,
    csrfToken: session.csrf,
    expiresAt: new Date(session.expiresAt).toISOString(),
    sandbox,
  };
}

export function presentConsoleLogin(
  started: StartedLogin,
  scene: string,
  simulate: boolean,
): ConsoleLoginView {
  const { image, contentType } = started.qrcode;
  const type = /^image\/(png|jpeg)$/i.test(contentType.trim())
    ? contentType.trim().toLowerCase()
    : 'image/png';
  return {
    nonce: started.nonce,
    qrcode: `data:${type};base64,${image.toString('base64')}`,
    scene,
    expiresAt: new Date(started.expiresAt).toISOString(),
    simulate,
  };
}

export function presentOpsOverview(o: OpsOverview): OpsOverviewView {
  return {
    health: presentHealth(o.health),
    instances: o.instances.map((i) => ({
      id: i.id,
      version: i.version,
      pid: i.pid,
      host: i.host,
      startedAt: new Date(i.startedAt).toISOString(),
      seenAt: new Date(i.seenAt).toISOString(),
      jobsHeld: i.jobsHeld,
      sendsInFlight: i.sendsInFlight,
      scheduler: i.scheduler,
    })),
    nextDue: o.nextDue.map((d) => ({ ...d, dueAt: new Date(d.dueAt).toISOString() })),
    token: { present: o.token.present, expiresAt: iso(o.token.expiresAt) },
    pause: {
      paused: o.pause.paused,
      remainingSeconds: Math.ceil(o.pause.remainingMs / 1000),
      lastWindow: o.pause.lastWindow
        ? {
            start: new Date(o.pause.lastWindow.start).toISOString(),
            end: new Date(o.pause.lastWindow.end).toISOString(),
          }
        : null,
    },
    quotaMode: o.quotaMode,
    sandbox: o.sandbox,
    generatedAt: new Date(o.generatedAt).toISOString(),
  };
}

export function presentConsoleNotices(notices: Notice[]): ConsoleNoticePageView {
  return {
    items: notices.map((n) => ({
      id: n.id,
      title: n.title,
      category: n.category,
      urgency: n.urgency,
      status: n.status,
      groups: n.audience.groups.map((id) => ({ id, name: n.groupNames[id] ?? '' })),
      recipients: n.recipients,
      requireConfirm: n.requireConfirm,
      publishAt: new Date(n.publishAt).toISOString(),
      publishedAt: iso(n.publishedAt),
      createdAt: new Date(n.createdAt).toISOString(),
    })),
  };
}

export function presentAudienceCount(count: { recipients: number }): AudienceCountView {
  return { recipients: count.recipients };
}
