import { useMemo, useState } from 'preact/hooks';
import { get } from '../api';
import { Chart, type Series } from '../components/chart';
import { Card, ErrorBox, Loading, Stat, useLoad } from '../components/ui';
import type { StatsView } from '../types';

const RESULTS: { key: string; label: string; color: string }[] = [
  { key: 'sent', label: '已发送', color: '#07c160' },
  { key: 'failed', label: '失败', color: '#fa5151' },
  { key: 'no_quota', label: '无额度', color: '#ffc300' },
  { key: 'rate_limited', label: '超每日上限', color: '#8b5cf6' },
  { key: 'missed', label: '错过', color: '#999999' },
];

/** Sends by result and day (GET /api/admin/stats), and quota misses. */
export function SendsPage() {
  const [days, setDays] = useState(14);
  const { data, error } = useLoad(() => get<StatsView>(`/api/admin/stats?days=${days}`), [days], 10_000);
  const table = useMemo(() => {
    if (!data) return null;
    const today = Date.now();
    const names = Array.from({ length: days }, (_, i) =>
      new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
    );
    const known = new Set([...RESULTS.map((r) => r.key), ...Object.keys(data.sends.total)]);
    const results = [...known].map(
      (key) => RESULTS.find((r) => r.key === key) ?? { key, label: key, color: '#576b95' },
    );
    const series: Series[] = results.map((r) => ({
      name: r.label,
      color: r.color,
      stack: 'sends',
      data: names.map((day) => data.sends.byDay[day]?.[r.key] ?? 0),
    }));
    return { names, results, series };
  }, [data, days]);
  if (!data || !table) return error ? <ErrorBox error={error} /> : <Loading />;
  return (
    <>
      <h1>发送统计</h1>
      <ErrorBox error={error} />
      <label for="days">天数</label>
      <select id="days" value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
        {[7, 14, 30, 90].map((d) => (
          <option key={d} value={d}>
            最近 {d} 天
          </option>
        ))}
      </select>
      <div class="stats" role="group" aria-label="合计">
        {table.results.map((r) => (
          <Stat key={r.key} label={r.label} value={data.sends.total[r.key] ?? 0} />
        ))}
        <Stat
          label="订阅额度不足（合计）"
          value={data.quotaMisses.total}
          tone={data.quotaMisses.total > 0 ? 'warn' : 'good'}
        />
      </div>
      <Card title="每日发送结果（UTC 日）">
        <Chart
          label={`最近 ${days} 天每日发送结果的堆叠柱状图`}
          kind="bar"
          categories={table.names.map((d) => d.slice(5))}
          series={table.series}
        />
        <details>
          <summary>数据表</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">日期</th>
                  {table.results.map((r) => (
                    <th scope="col" key={r.key}>
                      {r.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {table.names
                  .filter((day) => data.sends.byDay[day])
                  .map((day) => (
                    <tr key={day}>
                      <th scope="row">{day}</th>
                      {table.results.map((r) => (
                        <td key={r.key}>{data.sends.byDay[day]?.[r.key] ?? 0}</td>
                      ))}
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </details>
      </Card>
      <Card title="提醒状态">
        <div class="stats">
          {Object.entries(data.reminders.byStatus).map(([status, n]) => (
            <Stat key={status} label={status} value={n} />
          ))}
        </div>
        {data.reminders.truncated && <p class="muted">只统计了最新的 {data.reminders.counted} 条提醒。</p>}
      </Card>
    </>
  );
}
