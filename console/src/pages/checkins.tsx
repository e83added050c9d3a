import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post } from '../api';
import {
  Card,
  ErrorBox,
  Loading,
  Stat,
  formatClock,
  formatTime,
  fromLocalInput,
  localInput,
  useLoad,
} from '../components/ui';
import { navigate, routeQuery } from '../router';
import type { CheckinStatsView, CheckinView, GroupView, Page } from '../types';

/**
 * A group's check-ins (GET /api/groups/:id/checkins, newest first, with live counts) and a form to
 * start one (POST /api/groups/:id/checkins), in a group the publisher manages.
 */
export function CheckinsPage() {
  const groups = useLoad(() => get<Page<GroupView>>('/api/groups?limit=50'), []);
  const managed = useMemo(
    () => (groups.data?.items ?? []).filter((g) => g.me.role !== 'member'),
    [groups.data],
  );
  const [group, setGroup] = useState(routeQuery().get('group') ?? '');
  const [title, setTitle] = useState('');
  const [startsAt, setStartsAt] = useState(localInput(Date.now()));
  const [endsAt, setEndsAt] = useState(localInput(Date.now() + 3600_000));
  const [lateAfter, setLateAfter] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!group && managed[0]) setGroup(managed[0].id);
  }, [managed]);
  const list = useLoad(
    () =>
      group
        ? get<Page<CheckinView>>(`/api/groups/${group}/checkins?limit=50`)
        : Promise.resolve({ items: [], nextCursor: null }),
    [group],
    5000,
  );
  if (!groups.data) return groups.error ? <ErrorBox error={groups.error} /> : <Loading />;
  const create = (e: Event) => {
    e.preventDefault();
    setError(null);
    const late = fromLocalInput(lateAfter);
    post<CheckinView>(`/api/groups/${group}/checkins`, {
      title,
      startsAt: fromLocalInput(startsAt),
      endsAt: fromLocalInput(endsAt),
      ...(late !== null ? { lateAfter: late } : {}),
    }).then((c) => navigate(`/checkins/${c.id}`), setError);
  };
  const groupName = managed.find((g) => g.id === group)?.name ?? '';
  return (
    <>
      <h1>会议签到</h1>
      {managed.length === 0 ? (
        <p class="muted">你还不是任何群组的管理员。</p>
      ) : (
        <Card title="发起签到">
          <form onSubmit={create}>
            <label for="checkin-group">群组</label>
            <select id="checkin-group" value={group} onChange={(e) => setGroup(e.currentTarget.value)}>
              {managed.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
            <label for="checkin-title">会议名称</label>
            <input
              id="checkin-title"
              required
              maxLength={40}
              value={title}
              onInput={(e) => setTitle(e.currentTarget.value)}
            />
            <div class="row">
              <div>
                <label for="checkin-start">开始</label>
                <input
                  id="checkin-start"
                  type="datetime-local"
                  required
                  value={startsAt}
                  onInput={(e) => setStartsAt(e.currentTarget.value)}
                />
              </div>
              <div>
                <label for="checkin-end">结束</label>
                <input
                  id="checkin-end"
                  type="datetime-local"
                  required
                  value={endsAt}
                  onInput={(e) => setEndsAt(e.currentTarget.value)}
                />
              </div>
              <div>
                <label for="checkin-late">此后算迟到（可选）</label>
                <input
                  id="checkin-late"
                  type="datetime-local"
                  value={lateAfter}
                  onInput={(e) => setLateAfter(e.currentTarget.value)}
                />
              </div>
            </div>
            <ErrorBox error={error} />
            <button type="submit">发起签到</button>
          </form>
        </Card>
      )}
      {managed.length > 0 && (
        <Card title={`${groupName} 的签到`}>
          {list.error ? (
            <ErrorBox error={list.error} />
          ) : !list.data ? (
            <Loading />
          ) : list.data.items.length === 0 ? (
            <p class="muted">这个群组还没有签到。</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="checkin-list">
                <thead>
                  <tr>
                    <th scope="col">会议</th>
                    <th scope="col">状态</th>
                    <th scope="col">时间</th>
                    <th scope="col">准时</th>
                    <th scope="col">迟到</th>
                    <th scope="col">签到码</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <a href={`#/checkins/${c.id}`}>{c.title}</a>
                      </td>
                      <td>{STATE[c.state]}</td>
                      <td>
                        {formatTime(c.startsAt)} – {formatTime(c.endsAt).slice(-5)}
                      </td>
                      <td>{c.counts?.onTime ?? '—'}</td>
                      <td>{c.counts?.late ?? '—'}</td>
                      <td>
                        {c.state === 'ended' ? (
                          <span class="muted">已结束</span>
                        ) : (
                          <a href={`#/checkins/${c.id}/screen`} aria-label={`全屏显示「${c.title}」的签到码`}>
                            全屏显示
                          </a>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
    </>
  );
}

const STATE = { upcoming: '未开始', open: '进行中', ended: '已结束' } as const;
const STATUS = { on_time: '准时', late: '迟到', absent: '缺席' } as const;

/** One check-in: the live count, who signed, who is absent, remind, CSV. */
export function CheckinPage({ id }: { id: string }) {
  const checkin = useLoad(() => get<CheckinView>(`/api/checkins/${id}`), [id], 10_000);
  const stats = useLoad(() => get<CheckinStatsView>(`/api/checkins/${id}/stats`), [id], 2000);
  const [reminded, setReminded] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!checkin.data || !stats.data) {
    const err = checkin.error ?? stats.error;
    return err ? <ErrorBox error={err} /> : <Loading />;
  }
  const c = checkin.data;
  const s = stats.data;
  const remind = () =>
    post<{ reminded: number; absent: number; noGrant: number }>(`/api/checkins/${id}/remind`).then(
      (r) => setReminded(`已提醒 ${r.reminded} 人（缺席 ${r.absent}，无订阅额度 ${r.noGrant}）`),
      setError,
    );
  return (
    <>
      <p>
        <a href="#/checkins">← 会议签到</a>
      </p>
      <h1>{c.title}</h1>
      <p class="muted">
        {STATE[c.state]} · {formatTime(c.startsAt)} – {formatTime(c.endsAt)}
        {c.lateAfter ? ` · ${formatTime(c.lateAfter)} 后算迟到` : ''}
      </p>
      <p>
        <a class="button" href={`#/checkins/${id}/screen`}>
          全屏显示签到码
        </a>{' '}
        <a
          class="button secondary"
          href={`/api/console/checkins/${id}/stats.csv`}
          download={`checkin-${id}.csv`}
        >
          导出 CSV
        </a>
      </p>
      <div class="stats" role="group" aria-label="签到人数" aria-live="polite" data-testid="checkin-counts">
        <Stat label="应到" value={s.total} />
        <Stat label="准时" value={s.onTime} tone="good" />
        <Stat label="迟到" value={s.late} tone="warn" />
        <Stat label="缺席" value={s.absent} tone={s.absent > 0 ? 'bad' : 'good'} />
      </div>
      <ErrorBox error={error} />
      <Card
        title={`缺席（${s.absent} 人）`}
        actions={
          <button type="button" onClick={() => void remind()} disabled={s.absent === 0}>
            提醒缺席的人
          </button>
        }
      >
        {reminded && (
          <p class="ok" role="status">
            {reminded}
          </p>
        )}
        <ul class="names" data-testid="absent-names">
          {s.absentMembers.map((m) => (
            <li key={m.memberId}>{m.displayName || `成员 ${m.memberId}`}</li>
          ))}
        </ul>
      </Card>
      <Card title={`已签到（${s.onTime + s.late} 人）`}>
        <ul class="names">
          {s.signed.map((m) => (
            <li key={m.memberId}>
              {m.displayName || `成员 ${m.memberId}`}{' '}
              <span class="muted">
                · {STATUS[m.status]} · {formatClock(m.signedAt)}
              </span>
            </li>
          ))}
        </ul>
      </Card>
      {s.byTag.length > 0 && (
        <Card title="按标签">
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">标签</th>
                  <th scope="col">应到</th>
                  <th scope="col">准时</th>
                  <th scope="col">迟到</th>
                  <th scope="col">缺席</th>
                </tr>
              </thead>
              <tbody>
                {s.byTag.map((t) => (
                  <tr key={t.tag}>
                    <th scope="row">{t.tag}</th>
                    <td>{t.total}</td>
                    <td>{t.onTime}</td>
                    <td>{t.late}</td>
                    <td>{t.absent}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </>
  );
}
