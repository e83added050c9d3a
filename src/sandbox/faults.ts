/** One scripted answer: a WeChat errcode, a bare HTTP status (as from a proxy), or no answer at all. */
export type FaultStep = { errcode: number } | { http: number } | { hang: true };

/**
 * Switchable misbehaviour of the sandbox. Mutate it in-process (`sandbox.faults.latencyMs = 200`)
 * or send the same fields to `POST /__sandbox/faults` from another process.
 */
export interface SandboxFaults {
  /** Delay added before every API answer (not the /__sandbox endpoints), ms; default 0. */
  latencyMs: number;
  /** Scripted answers for subscribe/send, consumed one per send call before any check. */
  next: FaultStep[];
  /** Scripted answers for jscode2session (e.g. `{errcode: 45011}`), one per call. */
  loginNext: FaultStep[];
  /** Share 0..1 of send calls that fail at random, half with errcode -1 and half with HTTP 502; default 0. */
  failRate: number;
  /** Sends answer 45009, the app's daily quota being spent; default false. */
  quotaExceeded: boolean;
  /** Openids whose sends answer 43101, as if they held no subscription; default none. */
  noQuotaFor: string[];
  /** Scripted answers for `wxa/msg_sec_check`, one per call, before any check (e.g. `{errcode: -1}`). */
  secCheckNext: FaultStep[];
  /** Every `wxa/msg_sec_check` answers -1 (WeChat busy) while true; default false. */
  secCheckBusy: boolean;
}

export function defaultFaults(): SandboxFaults {
  return {
    latencyMs: 0,
    next: [],
    loginNext: [],
    failRate: 0,
    quotaExceeded: false,
    noQuotaFor: [],
    secCheckNext: [],
    secCheckBusy: false,
  };
}

/**
 * The body of `POST /__sandbox/faults`: any subset of SandboxFaults (given fields replace the
 * current ones, queues included), plus `clear: true` to restore the defaults first and
 * `revokeTokens: true` to kill every issued token.
 */
export interface FaultPatch extends Partial<SandboxFaults> {
  clear?: boolean;
  revokeTokens?: boolean;
}

function parseStep(step: unknown, where: string, problems: string[]): FaultStep | null {
  if (typeof step === 'object' && step !== null) {
    const s = step as Record<string, unknown>;
    if (Number.isInteger(s.errcode)) return { errcode: s.errcode as number };
    if (Number.isInteger(s.http) && (s.http as number) >= 100 && (s.http as number) <= 599) {
      return { http: s.http as number };
    }
    if (s.hang === true) return { hang: true };
  }
  problems.push(`${where} must be {"errcode": <int>}, {"http": <100..599>} or {"hang": true}`);
  return null;
}

function parseSteps(value: unknown, where: string, problems: string[]): FaultStep[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${where} must be an array`);
    return undefined;
  }
  const steps = value.map((step, i) => parseStep(step, `${where}[${i}]`, problems));
  return steps.filter((s): s is FaultStep => s !== null);
}

/** Checks a patch from JSON; returns it typed, or every problem found. */
export function parseFaultPatch(json: unknown): { patch: FaultPatch } | { problems: string[] } {
  const problems: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { problems: ['body must be a JSON object'] };
  }
  const body = json as Record<string, unknown>;
  const patch: FaultPatch = {};
  const known = new Set([
    'latencyMs',
    'next',
    'loginNext',
    'failRate',
    'quotaExceeded',
    'noQuotaFor',
    'secCheckNext',
    'secCheckBusy',
    'clear',
    'revokeTokens',
  ]);
  for (const key of Object.keys(body)) if (!known.has(key)) problems.push(`unknown field ${key}`);
  if (body.latencyMs !== undefined) {
    const v = body.latencyMs;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) patch.latencyMs = v;
    else problems.push('latencyMs must be a number ≥ 0');
  }
  if (body.failRate !== undefined) {
    const v = body.failRate;
    if (typeof v === 'number' && v >= 0 && v <= 1) patch.failRate = v;
    else problems.push('failRate must be a number in 0..1');
  }
  if (body.next !== undefined) patch.next = parseSteps(body.next, 'next', problems);
  if (body.loginNext !== undefined) patch.loginNext = parseSteps(body.loginNext, 'loginNext', problems);
  if (body.secCheckNext !== undefined) {
    patch.secCheckNext = parseSteps(body.secCheckNext, 'secCheckNext', problems);
  }
  if (body.noQuotaFor !== undefined) {
    const v = body.noQuotaFor;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) patch.noQuotaFor = v as string[];
    else problems.push('noQuotaFor must be an array of openids');
  }
  for (const flag of ['quotaExceeded', 'secCheckBusy', 'clear', 'revokeTokens'] as const) {
    const v = body[flag];
    if (v === undefined) continue;
    if (typeof v === 'boolean') patch[flag] = v;
    else problems.push(`${flag} must be a boolean`);
  }
  return problems.length > 0 ? { problems } : { patch };
}

/** Applies a patch's fault fields in place (so holders of `sandbox.faults` see the change). */
export function applyFaultPatch(faults: SandboxFaults, patch: FaultPatch): void {
  if (patch.clear) Object.assign(faults, defaultFaults());
  if (patch.latencyMs !== undefined) faults.latencyMs = patch.latencyMs;
  if (patch.failRate !== undefined) faults.failRate = patch.failRate;
  if (patch.quotaExceeded !== undefined) faults.quotaExceeded = patch.quotaExceeded;
  if (patch.next !== undefined) faults.next = [...patch.next];
  if (patch.loginNext !== undefined) faults.loginNext = [...patch.loginNext];
  if (patch.noQuotaFor !== undefined) faults.noQuotaFor = [...patch.noQuotaFor];
  if (patch.secCheckNext !== undefined) faults.secCheckNext = [...patch.secCheckNext];
  if (patch.secCheckBusy !== undefined) faults.secCheckBusy = patch.secCheckBusy;
}
