import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api';
import { ErrorBox, useLoad } from '../components/ui';
import { navigate } from '../router';
import type { CheckinStatsView, CodeView } from '../types';

/** The rotating code and the QR code, full screen for a projector, with the live count. */
export function CheckinScreen({ id }: { id: string }) {
  const [code, setCode] = useState<CodeView | null>(null);
  const [qrcode, setQrcode] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const stats = useLoad(() => get<CheckinStatsView>(`/api/checkins/${id}/stats`), [id], 2000);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    const load = (withQr: boolean) => {
      get<CodeView>(`/api/checkins/${id}/code?qrcode=${withQr}`).then(
        (next) => {
          if (!alive) return;
          setCode(next);
          if (next.qrcode) setQrcode(next.qrcode.image);
          setError(null);
          // The next code, a moment after this one rotates.
          const wait = Math.max(500, Date.parse(next.rotatesAt) - Date.now() + 200);
          timer = window.setTimeout(() => load(false), wait);
        },
        (err: unknown) => {
          if (!alive) return;
          setError(err);
          timer = window.setTimeout(() => load(withQr), 3000);
        },
      );
    };
    load(true);
    const tick = window.setInterval(() => setNow(Date.now()), 250);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.fullscreenElement) navigate(`/checkins/${id}`);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      alive = false;
      window.clearTimeout(timer);
      window.clearInterval(tick);
      window.removeEventListener('keydown', onKey);
    };
  }, [id]);
  const left = code ? Math.max(0, Math.ceil((Date.parse(code.rotatesAt) - now) / 1000)) : 0;
  const s = stats.data;
  return (
    <div class="screen" ref={root}>
      <div class="screen-bar">
        <a href={`#/checkins/${id}`} class="button secondary small">
          退出（Esc）
        </a>
        <button
          type="button"
          class="secondary small"
          onClick={() => void root.current?.requestFullscreen?.()}
        >
          浏览器全屏
        </button>
      </div>
      <h1>{s?.title ?? '会议签到'}</h1>
      <ErrorBox error={error} />
      <div class="screen-body">
        {qrcode && <img class="qr big" src={qrcode} alt="签到用的小程序码：用微信扫码后输入右侧的签到码" />}
        <div>
          <p class="muted">签到码</p>
          <p class="code-big" data-testid="checkin-code" aria-live="polite">
            {code?.code ?? '······'}
          </p>
          <p class="muted">{left} 秒后更新</p>
          {s && (
            <p class="screen-count" aria-live="polite" data-testid="screen-count">
              已签到 {s.onTime + s.late} / {s.total}
            </p>
          )}
        </div>
      </div>
    </div>
  );
}
