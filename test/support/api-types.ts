/**
 * Response bodies read as what the routes answer (src/http/presenters), so that a test names the
 * view it expects instead of casting each field it reads. Works with supertest's responses and
 * with `{ body: await res.json() }` for a process reached with fetch.
 */
import type { ErrorDetail } from '../../src/errors';
import type { Envelope } from '../../src/http/presenters';

export type {
  CreatedReminderView,
  DeliveryView,
  Envelope,
  ErasureView,
  HealthView,
  LoginView,
  PersonalExportView,
  PromiseView,
  QuotaHintView,
  QuotaView,
  ReloadView,
  ReminderDetailView,
  ReminderPageView,
  ReminderView,
  ReportView,
  StatsView,
} from '../../src/http/presenters';

/** The error envelope (src/http/middleware/error-handler.ts). */
export interface ErrorBody {
  errcode: number;
  errmsg: string;
  details?: ErrorDetail[];
}

interface HasBody {
  status?: number;
  body: unknown;
}

/** The success envelope's `data`, as the route's view; throws (with the answer) on an error envelope. */
export function data<View>(res: HasBody): View {
  return body<View>(res).data;
}

/** The success envelope, as the route's view; throws (with the answer) on an error envelope. */
export function body<View>(res: HasBody): Envelope<View> {
  if (!isSuccess<View>(res.body)) {
    throw new Error(`expected a success envelope, got ${res.status ?? '?'} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** A value a view may leave null (a msgid before the send), when the test needs it there. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}

/** The error envelope of a 4xx or 5xx. */
export function errorBody(res: HasBody): ErrorBody {
  if (!isError(res.body)) {
    throw new Error(`expected an error envelope, got ${res.status ?? '?'} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

// The views themselves are checked by the docs tests against docs/openapi.yaml; these check the envelope.
function isSuccess<View>(value: unknown): value is Envelope<View> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'errcode' in value &&
    value.errcode === 0 &&
    'data' in value
  );
}

function isError(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    'errcode' in value &&
    typeof value.errcode === 'number' &&
    value.errcode !== 0
  );
}
