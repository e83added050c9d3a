import { useEffect, useState } from 'preact/hooks';
import { get, put } from '../api';
import { Card, ErrorBox, Loading, formatTime, useLoad } from '../components/ui';
import type { BotRulesView } from '../types';

function describeReply(r: { reply?: Record<string, unknown>; transfer?: true }): string {
  if (r.transfer) return '转人工客服';
  const reply = r.reply ?? {};
  if (typeof reply.text === 'string') return `文本：${reply.text}`;
  if (typeof reply.builtin === 'string') return `内置：${reply.builtin}`;
  return Object.keys(reply).join(', ') || '—';
}

/**
 * The bot's rule table (GET/PUT /api/admin/bot/rules): the rules in order, and the whole table as
 * JSON to edit. The server validates it (a regex that could run away is refused) and a 400 names
 * every bad field, shown here by path.
 */
export function BotRulesPage() {
  const { data, error, setData } = useLoad(() => get<BotRulesView>('/api/admin/bot/rules'), []);
  const [text, setText] = useState('');
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (data) setText(JSON.stringify({ rules: data.rules, default: data.default }, null, 2));
  }, [data]);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;

  const save = (e: Event) => {
    e.preventDefault();
    setSaved(null);
    setSaveError(null);
    let table: unknown;
    try {
      table = JSON.parse(text);
    } catch (err) {
      setSaveError(new Error(`JSON 格式错误：${(err as Error).message}`));
      return;
    }
    setBusy(true);
    put<BotRulesView>('/api/admin/bot/rules', table)
      .then((next) => {
        setData(next);
        setSaved(`已保存（${formatTime(next.updatedAt)}），所有实例立即生效`);
      }, setSaveError)
      .finally(() => setBusy(false));
  };

  return (
    <>
      <h1>机器人规则</h1>
      <p class="muted">
        规则按顺序匹配，第一条命中的生效；都不命中时用默认回复。
        {data.updatedAt ? `最近修改：${formatTime(data.updatedAt)}` : '当前为 config/bot.json 的初始规则'}
      </p>
      <Card title={`规则（${data.rules.length} 条）`}>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">名称</th>
                <th scope="col">匹配</th>
                <th scope="col">回复</th>
              </tr>
            </thead>
            <tbody>
              {data.rules.map((r, i) => (
                <tr key={r.name}>
                  <td>{i + 1}</td>
                  <td>
                    <code>{r.name}</code>
                    {r.help && <div class="muted">{r.help}</div>}
                  </td>
                  <td>
                    {Object.entries(r.match).map(([k, v]) => (
                      <div key={k}>
                        {k}：<code>{v}</code>
                      </div>
                    ))}
                  </td>
                  <td>{describeReply(r)}</td>
                </tr>
              ))}
              <tr>
                <td>—</td>
                <td>
                  <code>default</code>
                </td>
                <td>其他消息</td>
                <td>{describeReply(data.default)}</td>
              </tr>
            </tbody>
          </table>
        </div>
      </Card>
      <Card title="编辑规则表（JSON）">
        <form onSubmit={save}>
          <label for="rules-json">规则表：{'{ "rules": [...], "default": {...} }'}</label>
          <textarea
            id="rules-json"
            class="code"
            rows={18}
            spellcheck={false}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <ErrorBox error={saveError} />
          {saved && (
            <p class="ok" role="status">
              {saved}
            </p>
          )}
          <button type="submit" disabled={busy}>
            校验并保存
          </button>
        </form>
      </Card>
    </>
  );
}
