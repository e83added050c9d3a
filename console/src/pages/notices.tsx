import { useMemo, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { Chart, type Series } from '../components/chart';
import { Card, ErrorBox, Loading, Stat, formatClock, formatTime, useLoad } from '../components/ui';
import { NoticeComments } from './notice-comments';
import type {
  ConsoleNotice,
  NoticeProgressView,
  NoticeStatsView,
  NoticeView,
  Page,
  RecipientView,
  RemindView,
} from '../types';

const STATUS: Record<string, string> = {
  scheduled: '定时中',
  publishing: '发布中',
  published: '已发布',
  cancelled: '已取消',
  retracted: '已撤回',
};
const STATE: Record<string, string> = {
  pending: '待推送',
  muted: '免打扰',
  sent: '已推送',
  delivered: '已送达',
  failed: '推送失败',
  no_quota: '无订阅额度',
  rate_limited: '超每日上限',
  unread: '未读',
  read: '已读',
  confirmed: '已确认',
};
const REFRESH_MS = 3000;

/** The publisher's notices (GET /api/console/notices), newest first. */
export function NoticesPage() {
  const { data, error } = useLoad(() => get<{ items: ConsoleNotice[] }>('/api/console/notices'), [], 10_000);
  return (
    <>
      <h1>通知</h1>
      <p>
        <a class="button" href="#/notices/new">
          发布通知
        </a>
      </p>
      <ErrorBox error={error} />
      {!data ? (
        <Loading />
      ) : data.items.length === 0 ? (
        <p class="muted">你还没有发布过通知。</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">标题</th>
                <th scope="col">群组</th>
                <th scope="col">状态</th>
                <th scope="col">人数</th>
                <th scope="col">发布时间</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((n) => (
                <tr key={n.id}>
                  <td>
                    <a href={`#/notices/${n.id}`}>{n.title}</a>
                    {n.urgency !== 'normal' && (
                      <span class={`badge ${n.urgency === 'urgent' ? 'bad' : 'warn'}`}>
                        {n.urgency === 'urgent' ? '紧急' : '重要'}
                      </span>
                    )}
                  </td>
                  <td>{n.groups.map((g) => g.name).join('、')}</td>
                  <td>{STATUS[n.status] ?? n.status}</td>
                  <td>{n.recipients ?? '—'}</td>
                  <td>{formatTime(n.publishedAt ?? n.publishAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const CURVES = [
  ['confirmed', '已确认', '#07c160'],
  ['read', '已读', '#10aeff'],
  ['delivered', '已送达', '#576b95'],
  ['sent', '已推送', '#ffc300'],
  ['failed', '推送失败', '#fa5151'],
] as const;

/**
 * The chart's curves from the server's series (GET /api/notices/:id/progress): how many had been
 * pushed, delivered, failed, read and confirmed by the end of each minute, from the first push on,
 * whenever the page is opened; each curve runs on flat to now.
 */
function curves(progress: NoticeProgressView | null): Series[] {
  if (!progress) return [];
  const running = { sent: 0, delivered: 0, failed: 0, read: 0, confirmed: 0 };
  const points = progress.buckets.map((b) => {
    for (const [state] of CURVES) running[state] += b[state];
    return { t: Date.parse(b.at) + progress.bucketSeconds * 1000, ...running };
  });
  const first = progress.buckets[0];
  if (first)
    points.unshift({ t: Date.parse(first.at), sent: 0, delivered: 0, failed: 0, read: 0, confirmed: 0 });
  const end = points[points.length - 1];
  if (end && end.t < Date.now()) points.push({ ...end, t: Date.now() });
  return CURVES.map(([state, name, color]) => ({
    name,
    color,
    data: points.map((p): [number, number] => [p.t, p[state]]),
  }));
}

/** A notice's progress: numbers and a chart over time, unread names, remind, CSV. */
export function NoticePage({ id }: { id: string }) {
  const notice = useLoad(() => get<NoticeView>(`/api/notices/${id}`), [id], 10_000);
  const stats = useLoad(() => get<NoticeStatsView>(`/api/notices/${id}/stats`), [id], REFRESH_MS);
  const unread = useLoad(
    () => get<Page<RecipientView>>(`/api/notices/${id}/recipients?state=unread&limit=100`),
    [id],
    REFRESH_MS,
  );
  const progress = useLoad(() => get<NoticeProgressView>(`/api/notices/${id}/progress`), [id], REFRESH_MS);
  const [remind, setRemind] = useState<RemindView | null>(null);
  const [remindError, setRemindError] = useState<unknown>(null);
  const series = useMemo(() => curves(progress.data), [progress.data]);

  if (!notice.data || !stats.data) {
    const error = notice.error ?? stats.error;
    return error ? <ErrorBox error={error} /> : <Loading />;
  }
  const n = notice.data;
  const s = stats.data;
  const doRemind = () => {
    setRemindError(null);
    post<RemindView>(`/api/notices/${id}/remind`).then((r) => {
      setRemind(r);
      unread.reload();
    }, setRemindError);
  };
  return (
    <>
      <p>
        <a href="#/notices">← 通知</a>
      </p>
      <h1>{n.title}</h1>
      <p class="muted">
        {STATUS[n.status] ?? n.status} · {n.category} · {n.groups.map((g) => g.name).join('、')} ·{' '}
        {formatTime(n.publishedAt ?? n.publishAt)}
        {n.requireConfirm ? ' · 需要确认' : ''}
      </p>
      <div class="stats" role="group" aria-label="进度" aria-live="polite">
        <Stat label="收件人" value={s.recipients} />
        <Stat label="已进收件箱" value={s.inbox} />
        <Stat label="已推送" value={(s.push.sent ?? 0) + (s.push.delivered ?? 0)} />
        <Stat label="已送达" value={s.push.delivered ?? 0} />
        <Stat label="已读" value={s.read + s.confirmed} tone="good" />
        <Stat label="已确认" value={s.confirmed} tone="good" />
      </div>
      <p class="muted">每 3 秒刷新 · {formatClock(new Date().toISOString())}</p>
      <Card title="随时间的进度">
        <Chart
          label="自发布起的累计人数随时间变化：已推送、已送达、推送失败、已读、已确认（服务器按分钟记录）"
          kind="line"
          series={series}
        />
        {progress.data && (
          <p class="muted" data-testid="progress-totals">
            自发布起累计：推送 {progress.data.totals.sent} · 送达 {progress.data.totals.delivered} · 失败{' '}
            {progress.data.totals.failed} · 已读 {progress.data.totals.read} · 已确认{' '}
            {progress.data.totals.confirmed}
          </p>
        )}
      </Card>
      <Card title="各状态人数">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">分组</th>
                <th scope="col">收件人</th>
                {Object.keys(s.push).map((k) => (
                  <th scope="col" key={k}>
                    {STATE[k] ?? k}
                  </th>
                ))}
                <th scope="col">已读</th>
                <th scope="col">已确认</th>
              </tr>
            </thead>
            <tbody>
              {[{ ...s, groupId: '', name: '合计' }, ...s.byGroup].map((g) => (
                <tr key={g.groupId || 'all'}>
                  <th scope="row">{g.name}</th>
                  <td>{g.recipients}</td>
                  {Object.keys(s.push).map((k) => (
                    <td key={k}>{g.push[k] ?? 0}</td>
                  ))}
                  <td>{g.read}</td>
                  <td>{g.confirmed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          <a
            class="button secondary"
            href={`/api/console/notices/${id}/stats.csv`}
            download={`notice-${id}.csv`}
          >
            导出 CSV
          </a>
        </p>
      </Card>
      <Card
        title={`未读（${unread.data?.items.length ?? 0}${unread.data?.nextCursor ? '+' : ''} 人）`}
        actions={
          <button type="button" onClick={doRemind}>
            提醒未读的人
          </button>
        }
      >
        {remind && (
          <p class="ok" role="status">
            已再次推送给 {remind.reminded} 人（未读 {remind.unread} 人；无订阅额度 {remind.skipped.noGrant}
            ，免打扰 {remind.skipped.muted}）
          </p>
        )}
        {remindError instanceof ApiError && remindError.status === 429 ? (
          <p class="error" role="alert">
            {remindError.message}
          </p>
        ) : (
          <ErrorBox error={remindError} />
        )}
        <ul class="names" aria-label="未读的人" data-testid="unread-names">
          {(unread.data?.items ?? []).map((r) => (
            <li key={`${r.groupId}:${r.memberId}`}>
              {r.displayName || `成员 ${r.memberId}`}
              <span class="muted"> · {STATE[r.state] ?? r.state}</span>
            </li>
          ))}
        </ul>
      </Card>
      <NoticeComments noticeId={id} />
    </>
  );
}
