import { useState } from 'preact/hooks';
import { del, get, post } from '../api';
import { Card, ErrorBox, formatTime, useLoad } from '../components/ui';
import type { CommentThreadView, CommentView, Page } from '../types';

const REFRESH_MS = 5000;

function Who({ c }: { c: CommentView }) {
  return (
    <span class="muted">
      {c.author.name || '成员'}
      {c.author.role === 'manager' ? '（管理员）' : ''} · {formatTime(c.createdAt)}
      {c.private ? ' · 私密提问' : ''}
    </span>
  );
}

/**
 * A notice's comments for its managers: those WeChat's content check holds for review (approve or
 * delete), and the threads with a reply box (a private question is answered to its author only).
 */
export function NoticeComments({ noticeId }: { noticeId: string }) {
  const base = `/api/notices/${noticeId}/comments`;
  const pending = useLoad(() => get<Page<CommentView>>(`${base}/pending?limit=50`), [noticeId], REFRESH_MS);
  const threads = useLoad(() => get<Page<CommentThreadView>>(`${base}?limit=50`), [noticeId], REFRESH_MS);
  const [replying, setReplying] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const reload = () => {
    pending.reload();
    threads.reload();
  };
  const act = (done: Promise<unknown>) => {
    setError(null);
    done.then(reload, setError);
  };
  const held = pending.data?.items ?? [];
  return (
    <>
      <Card title={`待审核的评论（${held.length} 条）`}>
        <ErrorBox error={error ?? pending.error} />
        {held.length === 0 ? (
          <p class="muted">没有待审核的评论。</p>
        ) : (
          <ul class="list" data-testid="pending-comments">
            {held.map((c) => (
              <li key={c.id}>
                <p>{c.text}</p>
                <Who c={c} />{' '}
                <button
                  type="button"
                  aria-label={`通过：${c.text}`}
                  onClick={() => act(post(`${base}/${c.id}/approve`))}
                >
                  通过
                </button>{' '}
                <button
                  type="button"
                  class="secondary"
                  aria-label={`删除：${c.text}`}
                  onClick={() => act(del(`${base}/${c.id}`))}
                >
                  删除
                </button>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="评论与提问">
        <ErrorBox error={threads.error} />
        {(threads.data?.items ?? []).length === 0 ? (
          <p class="muted">还没有评论。</p>
        ) : (
          <ul class="list" data-testid="comment-threads">
            {(threads.data?.items ?? []).map((c) => (
              <li key={c.id}>
                <p>{c.text}</p>
                <Who c={c} />
                {c.status === 'pending_review' && <span class="badge warn">待审核</span>}
                <ul class="list">
                  {c.replies.map((r) => (
                    <li key={r.id}>
                      ↳ {r.text} <Who c={r} />
                    </li>
                  ))}
                </ul>
                <form
                  class="row"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const text = (replying[c.id] ?? '').trim();
                    if (!text) return;
                    act(
                      post(`${base}/${c.id}/replies`, { text }).then(() =>
                        setReplying((all) => ({ ...all, [c.id]: '' })),
                      ),
                    );
                  }}
                >
                  <label for={`reply-${c.id}`}>回复</label>
                  <input
                    id={`reply-${c.id}`}
                    maxLength={500}
                    value={replying[c.id] ?? ''}
                    onInput={(e) => {
                      const value = e.currentTarget.value;
                      setReplying((all) => ({ ...all, [c.id]: value }));
                    }}
                  />
                  <button type="submit" class="secondary">
                    回复
                  </button>
                  {c.canDelete && (
                    <button
                      type="button"
                      class="secondary"
                      aria-label={`删除：${c.text}`}
                      onClick={() => act(del(`${base}/${c.id}`))}
                    >
                      删除
                    </button>
                  )}
                </form>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
