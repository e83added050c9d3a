import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post } from '../api';
import {
  Card,
  ConfirmDialog,
  ErrorBox,
  Loading,
  formatTime,
  fromLocalInput,
  localInput,
  useLoad,
} from '../components/ui';
import { AudiencePicker, type Audience } from '../components/audience-picker';
import { navigate, routeQuery } from '../router';
import type { GroupView, NoticeView, Page, Urgency } from '../types';

const URGENCIES: { value: Urgency; label: string }[] = [
  { value: 'normal', label: '普通' },
  { value: 'important', label: '重要' },
  { value: 'urgent', label: '紧急（免打扰也推送）' },
];

interface Attachment {
  name: string;
  url: string;
}

/**
 * Compose a notice (POST /api/notices): the audience picker (groups, then tags or single members)
 * with the live recipient count (POST /api/console/audience), category, urgency, attachments,
 * confirmation, now or scheduled; a confirmation dialog before it goes.
 */
export function ComposePage() {
  const groups = useLoad(() => get<Page<GroupView>>('/api/groups?limit=50'), []);
  const prefs = useLoad(() => get<{ categories: Record<string, boolean> }>('/api/preferences'), []);
  const managed = useMemo(
    () => (groups.data?.items ?? []).filter((g) => g.me.role !== 'member'),
    [groups.data],
  );
  const [audience, setAudience] = useState<Audience>(() => {
    const g = routeQuery().get('group');
    return { groups: g ? [g] : [] };
  });
  const [count, setCount] = useState<number | null>(null);
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [category, setCategory] = useState('');
  const [urgency, setUrgency] = useState<Urgency>('normal');
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [requireConfirm, setRequireConfirm] = useState(false);
  const [scheduled, setScheduled] = useState(false);
  const [publishAt, setPublishAt] = useState(localInput(Date.now() + 3600_000));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const categories = Object.keys(prefs.data?.categories ?? {});
  useEffect(() => {
    if (!category && categories[0]) setCategory(categories[0]);
  }, [categories.join(',')]);

  if (!groups.data) return groups.error ? <ErrorBox error={groups.error} /> : <Loading />;
  const at = scheduled ? fromLocalInput(publishAt) : null;

  const publish = () => {
    setBusy(true);
    setError(null);
    post<NoticeView>('/api/notices', {
      title,
      body,
      category,
      urgency,
      audience,
      requireConfirm,
      ...(attachments.length ? { attachments } : {}),
      ...(at !== null ? { publishAt: at } : {}),
    })
      .then((n) => navigate(`/notices/${n.id}`), setError)
      .finally(() => {
        setBusy(false);
        setConfirming(false);
      });
  };

  return (
    <>
      <h1>发布通知</h1>
      {managed.length === 0 ? (
        <p class="muted">你还不是任何群组的管理员：先在「我的群组」创建一个。</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setConfirming(true);
          }}
        >
          <AudiencePicker managed={managed} audience={audience} onChange={setAudience} onCount={setCount} />
          <Card title="内容">
            <label for="notice-title">标题</label>
            <input
              id="notice-title"
              required
              maxLength={100}
              value={title}
              onInput={(e) => setTitle(e.currentTarget.value)}
            />
            <label for="notice-body">正文</label>
            <textarea
              id="notice-body"
              rows={6}
              maxLength={5000}
              value={body}
              onInput={(e) => setBody(e.currentTarget.value)}
            />
            <div class="row">
              <div>
                <label for="notice-category">类别</label>
                <select
                  id="notice-category"
                  value={category}
                  onChange={(e) => setCategory(e.currentTarget.value)}
                >
                  {categories.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </div>
              <fieldset>
                <legend>紧急程度</legend>
                {URGENCIES.map((u) => (
                  <label class="check" key={u.value}>
                    <input
                      type="radio"
                      name="urgency"
                      value={u.value}
                      checked={urgency === u.value}
                      onChange={() => setUrgency(u.value)}
                    />
                    {u.label}
                  </label>
                ))}
              </fieldset>
            </div>
            <fieldset>
              <legend>附件（https 链接）</legend>
              {attachments.map((a, i) => (
                <div class="row" key={i}>
                  <label for={`att-name-${i}`}>名称</label>
                  <input
                    id={`att-name-${i}`}
                    value={a.name}
                    required
                    onInput={(e) =>
                      setAttachments(
                        attachments.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)),
                      )
                    }
                  />
                  <label for={`att-url-${i}`}>链接</label>
                  <input
                    id={`att-url-${i}`}
                    type="url"
                    pattern="https://.*"
                    value={a.url}
                    required
                    onInput={(e) =>
                      setAttachments(
                        attachments.map((x, j) => (j === i ? { ...x, url: e.currentTarget.value } : x)),
                      )
                    }
                  />
                  <button
                    type="button"
                    class="secondary small"
                    onClick={() => setAttachments(attachments.filter((_, j) => j !== i))}
                  >
                    删除
                  </button>
                </div>
              ))}
              {attachments.length < 10 && (
                <button
                  type="button"
                  class="secondary small"
                  onClick={() => setAttachments([...attachments, { name: '', url: '' }])}
                >
                  添加附件
                </button>
              )}
            </fieldset>
            <label class="check">
              <input
                type="checkbox"
                checked={requireConfirm}
                onChange={(e) => setRequireConfirm(e.currentTarget.checked)}
              />
              需要收件人确认（回执）
            </label>
          </Card>
          <Card title="何时发布">
            <label class="check">
              <input type="radio" name="when" checked={!scheduled} onChange={() => setScheduled(false)} />
              立即发布
            </label>
            <label class="check">
              <input type="radio" name="when" checked={scheduled} onChange={() => setScheduled(true)} />
              定时发布
            </label>
            {scheduled && (
              <>
                <label for="publish-at">发布时间</label>
                <input
                  id="publish-at"
                  type="datetime-local"
                  value={publishAt}
                  onInput={(e) => setPublishAt(e.currentTarget.value)}
                />
              </>
            )}
          </Card>
          <ErrorBox error={error} />
          <button type="submit" disabled={audience.groups.length === 0 || !title.trim()}>
            预览并发布
          </button>
        </form>
      )}
      <ConfirmDialog
        open={confirming}
        title="确认发布这条通知？"
        confirmLabel={at !== null ? '定时发布' : '立即发布'}
        busy={busy}
        onConfirm={publish}
        onCancel={() => setConfirming(false)}
      >
        <p>
          <strong>{title}</strong>
        </p>
        <p>
          发给 {count ?? '—'} 人 · {category} · {URGENCIES.find((u) => u.value === urgency)?.label}
          {requireConfirm ? ' · 需要确认' : ''}
        </p>
        <p>{at !== null ? `将于 ${formatTime(new Date(at).toISOString())} 发布` : '确认后立即发布'}</p>
      </ConfirmDialog>
    </>
  );
}
