import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { ErrorBox } from '../components/ui';
import type { LoginView, PollView, SessionView } from '../types';

const POLL_MS = 1500;

/**
 * Sign-in: publishers scan the mini-program code (in sandbox mode they may simulate
 * the scan as a sandbox user), operators type ADMIN_TOKEN once. Either way the server sets the
 * session cookie; this page only learns the CSRF token.
 */
export function LoginPage({ onSignedIn }: { onSignedIn: (s: SessionView) => void }) {
  const [tab, setTab] = useState<'qr' | 'operator'>('qr');
  return (
    <div class="login">
      <h1>提醒 · 控制台</h1>
      <div role="tablist" aria-label="登录方式" class="tabs">
        <button
          type="button"
          role="tab"
          id="tab-qr"
          aria-selected={tab === 'qr'}
          aria-controls="panel-qr"
          onClick={() => setTab('qr')}
        >
          扫码登录（发布者）
        </button>
        <button
          type="button"
          role="tab"
          id="tab-operator"
          aria-selected={tab === 'operator'}
          aria-controls="panel-operator"
          onClick={() => setTab('operator')}
        >
          运维登录
        </button>
      </div>
      {tab === 'qr' ? (
        <div role="tabpanel" id="panel-qr" aria-labelledby="tab-qr" class="card">
          <QrLogin onSignedIn={onSignedIn} />
        </div>
      ) : (
        <div role="tabpanel" id="panel-operator" aria-labelledby="tab-operator" class="card">
          <OperatorLogin onSignedIn={onSignedIn} />
        </div>
      )}
    </div>
  );
}

function QrLogin({ onSignedIn }: { onSignedIn: (s: SessionView) => void }) {
  const [login, setLogin] = useState<LoginView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [expired, setExpired] = useState(false);
  const [name, setName] = useState('teacher');
  const [simulating, setSimulating] = useState(false);
  const done = useRef(false);

  const start = () => {
    setError(null);
    setExpired(false);
    post<LoginView>('/api/console/login').then(setLogin, setError);
  };
  useEffect(start, []);

  useEffect(() => {
    if (!login) return;
    const timer = window.setInterval(() => {
      if (Date.now() > Date.parse(login.expiresAt)) {
        window.clearInterval(timer);
        setExpired(true);
        return;
      }
      get<PollView>(`/api/console/login/${login.nonce}`).then(
        (poll) => {
          if (poll.status === 'approved' && !done.current) {
            done.current = true;
            window.clearInterval(timer);
            onSignedIn(poll.session);
          }
        },
        (err: unknown) => {
          window.clearInterval(timer);
          if (err instanceof ApiError && err.status === 404) setExpired(true);
          else setError(err);
        },
      );
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [login]);

  const simulate = (e: Event) => {
    e.preventDefault();
    if (!login) return;
    setSimulating(true);
    post(`/api/console/login/${login.nonce}/simulate`, { name })
      .catch(setError)
      .finally(() => setSimulating(false));
  };

  return (
    <div class="qr-login">
      <p>用微信扫描小程序码，在小程序里确认登录。二维码 2 分钟内有效。</p>
      <ErrorBox error={error} />
      {login && !expired && (
        <img class="qr" src={login.qrcode} width={220} height={220} alt="登录用的小程序码，请用微信扫描" />
      )}
      {expired && (
        <p role="status">
          二维码已过期。
          <button type="button" onClick={start}>
            刷新二维码
          </button>
        </p>
      )}
      {login && !expired && (
        <p class="muted" role="status" aria-live="polite">
          等待扫码确认…
        </p>
      )}
      {login?.simulate && !expired && (
        <form class="simulate" onSubmit={simulate}>
          <p class="badge warn">沙箱模式：没有真实小程序，可以模拟扫码</p>
          <label for="sim-name">模拟扫码的沙箱用户</label>
          <div class="row">
            <input
              id="sim-name"
              name="name"
              value={name}
              required
              pattern="[A-Za-z0-9_\-]{1,32}"
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <button type="submit" disabled={simulating}>
              模拟扫码登录
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function OperatorLogin({ onSignedIn }: { onSignedIn: (s: SessionView) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    post<SessionView>('/api/console/operator-login', { token })
      .then((session) => {
        setToken(''); // the token is not kept anywhere in the page
        onSignedIn(session);
      }, setError)
      .finally(() => setBusy(false));
  };
  return (
    <form onSubmit={submit}>
      <p>运维人员用服务的 ADMIN_TOKEN 登录一次；之后只凭 HttpOnly 会话 Cookie。</p>
      <ErrorBox error={error} />
      <label for="admin-token">ADMIN_TOKEN</label>
      <input
        id="admin-token"
        name="token"
        type="password"
        autoComplete="off"
        required
        value={token}
        onInput={(e) => setToken(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        登录
      </button>
    </form>
  );
}
