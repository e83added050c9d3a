import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { Card, ErrorBox, Loading, formatTime, useLoad } from '../components/ui';
import type { ConversationPage as Page, ConversationView, MessageView, WindowView } from '../types';

function summary(m: MessageView | null): string {
  if (!m) return '—';
  if (m.text) return m.text;
  if (m.event) return `[事件 ${m.event}]`;
  if (m.link) return `[链接] ${m.link.title}`;
  if (m.miniprogrampage) return `[小程序卡片] ${m.miniprogrampage.title}`;
  return `[${m.type}]`;
}

function windowText(w: WindowView): string {
  if (!w.open) return '窗口已关闭（用户再次发消息后重新打开）';
  return `可回复 ${w.remaining} 条，${formatTime(w.until)} 前`;
}

const FROM: Record<string, string> = { user: '用户', bot: '机器人', agent: '客服' };

/** Customer-service conversations by last activity (GET /api/admin/conversations). */
export function ConversationsPage() {
  const { data, error } = useLoad(() => get<Page>('/api/admin/conversations?limit=50'), [], 5000);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  return (
    <>
      <h1>客服会话</h1>
      <ErrorBox error={error} />
      {data.items.length === 0 ? (
        <p class="muted">还没有用户给客服发消息。</p>
      ) : (
        <ul class="list" aria-label="会话">
          {data.items.map((c) => (
            <li key={c.openid}>
              <a href={`#/ops/conversations/${encodeURIComponent(c.openid)}`}>
                <code>{c.openid}</code>
              </a>
              <span class="muted"> · {formatTime(c.lastActivityAt)} · </span>
              <span class={c.window.open ? 'badge good' : 'badge'}>
                {c.window.open ? '可回复' : '已关闭'}
              </span>
              <div class="muted">{summary(c.last)}</div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** One conversation, both directions, and the agent's reply box while the window is open. */
export function ConversationPage({ openid }: { openid: string }) {
  const path = `/api/admin/conversations/${encodeURIComponent(openid)}`;
  const { data, error, reload } = useLoad(() => get<ConversationView>(path), [openid], 4000);
  const [text, setText] = useState('');
  const [sendError, setSendError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const send = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setSendError(null);
    post(`${path}/messages`, { text })
      .then(() => {
        setText('');
        reload();
      }, setSendError)
      .finally(() => setBusy(false));
  };
  const messages = [...data.messages].reverse(); // oldest first, as a chat reads
  return (
    <>
      <p>
        <a href="#/ops/conversations">← 全部会话</a>
      </p>
      <h1>
        会话 <code>{openid}</code>
      </h1>
      <p class="muted" aria-live="polite">
        {windowText(data.window)}
      </p>
      <Card title="消息">
        <ol class="chat" aria-label="消息记录">
          {messages.map((m, i) => (
            <li key={i} class={m.direction === 'in' ? 'in' : 'out'}>
              <span class="who">
                {FROM[m.from] ?? m.from} · {formatTime(m.at)}
              </span>
              <span class="what">{summary(m)}</span>
            </li>
          ))}
        </ol>
      </Card>
      <Card title="回复">
        <form onSubmit={send}>
          <label for="reply-text">回复内容（文本）</label>
          <textarea
            id="reply-text"
            rows={3}
            required
            maxLength={600}
            value={text}
            disabled={!data.window.open}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <ErrorBox error={sendError} />
          <button type="submit" disabled={busy || !data.window.open || !text.trim()}>
            发送
          </button>
        </form>
      </Card>
    </>
  );
}
