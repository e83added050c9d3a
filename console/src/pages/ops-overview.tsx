import { get } from '../api';
import { Card, ErrorBox, Loading, Stat, formatClock, formatTime, useLoad } from '../components/ui';
import type { OverviewView } from '../types';

const REFRESH_MS = 5000;

/** Health and instances, jobs held and the next due occurrences, token and pause state. */
export function OverviewPage() {
  const { data, error } = useLoad(() => get<OverviewView>('/api/console/ops/overview'), [], REFRESH_MS);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const { health, pause, token } = data;
  const jobs = data.instances.reduce((n, i) => n + i.jobsHeld, 0);
  return (
    <>
      <h1>运行概况</h1>
      <ErrorBox error={error} />
      <p class="muted" aria-live="polite">
        每 5 秒刷新 · 更新于 {formatClock(data.generatedAt)}
      </p>
      <div class="stats" role="group" aria-label="关键指标">
        <Stat
          label="服务状态"
          value={health.status === 'ok' ? '正常' : '降级'}
          tone={health.status === 'ok' ? 'good' : 'bad'}
        />
        <Stat label="Redis" value={health.redis} tone={health.redis === 'up' ? 'good' : 'bad'} />
        <Stat label="运行实例" value={data.instances.length} />
        <Stat label="持有的定时任务" value={jobs} />
        <Stat
          label="发送暂停"
          value={pause.paused ? `${pause.remainingSeconds} 秒` : '否'}
          tone={pause.paused ? 'warn' : 'good'}
        />
        <Stat
          label="access_token"
          value={token.present ? '有效' : '未获取'}
          tone={token.present ? 'good' : 'warn'}
        />
      </div>
      <Card title="实例">
        <div class="table-wrap">
          <table>
            <caption class="sr-only">运行中的实例</caption>
            <thead>
              <tr>
                <th scope="col">实例</th>
                <th scope="col">主机 / PID</th>
                <th scope="col">版本</th>
                <th scope="col">调度器</th>
                <th scope="col">定时任务</th>
                <th scope="col">发送中</th>
                <th scope="col">启动于</th>
                <th scope="col">心跳</th>
              </tr>
            </thead>
            <tbody>
              {data.instances.map((i) => (
                <tr key={i.id}>
                  <td>
                    <code>{i.id}</code>
                    {i.id === health.instance && <span class="badge">本实例</span>}
                  </td>
                  <td>
                    {i.host} / {i.pid}
                  </td>
                  <td>{i.version}</td>
                  <td>{i.scheduler === 'running' ? '运行中' : '已停止'}</td>
                  <td>{i.jobsHeld}</td>
                  <td>{i.sendsInFlight}</td>
                  <td>{formatTime(i.startedAt)}</td>
                  <td>{formatClock(i.seenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card title="即将到期的发送">
        {data.nextDue.length === 0 ? (
          <p class="muted">没有待发送的提醒或通知。</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">到期时间</th>
                  <th scope="col">来源</th>
                  <th scope="col">编号</th>
                  <th scope="col">类型</th>
                  <th scope="col">重复</th>
                </tr>
              </thead>
              <tbody>
                {data.nextDue.map((d) => (
                  <tr key={`${d.source}:${d.id}`}>
                    <td>{formatTime(d.dueAt)}</td>
                    <td>{d.source === 'reminder' ? '提醒' : '通知推送'}</td>
                    <td>{d.id}</td>
                    <td>{d.kind}</td>
                    <td>{d.repeat ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="令牌与暂停">
        <dl class="facts">
          <dt>access_token</dt>
          <dd>
            {token.present ? `已缓存，${formatTime(token.expiresAt)} 前有效` : '尚未获取（首次发送时获取）'}
          </dd>
          <dt>45009 发送暂停</dt>
          <dd>{pause.paused ? `暂停中，还剩 ${pause.remainingSeconds} 秒` : '未暂停'}</dd>
          <dt>最近一次暂停</dt>
          <dd>
            {pause.lastWindow
              ? `${formatTime(pause.lastWindow.start)} – ${formatTime(pause.lastWindow.end)}`
              : '近 24 小时无'}
          </dd>
          <dt>订阅额度模式</dt>
          <dd>{data.quotaMode}</dd>
          <dt>WeChat</dt>
          <dd>{data.sandbox ? '沙箱（模拟微信）' : '真实微信接口'}</dd>
        </dl>
      </Card>
    </>
  );
}
