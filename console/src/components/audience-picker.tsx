import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post } from '../api';
import type { GroupView, MemberView, Page } from '../types';
import { Card, ErrorBox } from './ui';

/** A notice's audience as POST /api/notices takes it. */
export interface Audience {
  groups: string[];
  tags?: string[];
  members?: string[]; // `<groupId>:<memberId>`
}

/**
 * The compose page's audience picker: the groups the publisher manages, then (optionally) tags
 * or single members of them, and the live recipient count from POST /api/console/audience — the
 * same resolution publication makes, a moment after the choice stops changing.
 */
export function AudiencePicker(props: {
  managed: GroupView[];
  audience: Audience;
  onChange: (audience: Audience) => void;
  onCount: (count: number | null) => void;
}) {
  const chosen = props.audience.groups;
  const tags = props.audience.tags ?? [];
  const members = props.audience.members ?? [];
  const [roster, setRoster] = useState<Record<string, MemberView[]>>({});
  const [count, setCount] = useState<number | null>(null);
  const [countError, setCountError] = useState<unknown>(null);
  const { managed } = props;

  const set = (next: { groups?: string[]; tags?: string[]; members?: string[] }) => {
    const groups = next.groups ?? chosen;
    const t = (next.tags ?? tags).filter(Boolean);
    // Members of a group no longer chosen leave the audience with it.
    const m = (next.members ?? members).filter((x) => groups.includes(x.split(':')[0] ?? ''));
    props.onChange({ groups, ...(t.length ? { tags: t } : {}), ...(m.length ? { members: m } : {}) });
  };
  const toggle = (list: string[], value: string) =>
    list.includes(value) ? list.filter((x) => x !== value) : [...list, value];
  const setChosen = (groups: string[]) => set({ groups });
  const setTags = (next: string[]) => set({ tags: next });
  const setMembers = (next: string[]) => set({ members: next });

  // The members of the chosen groups, for the tag and member pickers.
  useEffect(() => {
    for (const id of chosen) {
      if (roster[id]) continue;
      get<Page<MemberView>>(`/api/groups/${id}/members?limit=200`).then(
        (page) => setRoster((r) => ({ ...r, [id]: page.items })),
        () => setRoster((r) => ({ ...r, [id]: [] })),
      );
    }
  }, [chosen.join(',')]);
  const allTags = useMemo(
    () => [...new Set(chosen.flatMap((id) => (roster[id] ?? []).flatMap((m) => m.tags)))],
    [chosen.join(','), roster],
  );

  const key = JSON.stringify(props.audience);
  useEffect(() => {
    setCountError(null);
    if (chosen.length === 0) {
      setCount(null);
      props.onCount(null);
      return;
    }
    setCount(null);
    const timer = window.setTimeout(() => {
      post<{ recipients: number }>('/api/console/audience', props.audience).then((r) => {
        setCount(r.recipients);
        props.onCount(r.recipients);
      }, setCountError);
    }, 250);
    return () => window.clearTimeout(timer);
  }, [key]);

  return (
    <Card title="发给谁">
      <fieldset>
        <legend>群组</legend>
        {managed.map((g) => (
          <label class="check" key={g.id}>
            <input
              type="checkbox"
              name="groups"
              value={g.id}
              checked={chosen.includes(g.id)}
              onChange={() => setChosen(toggle(chosen, g.id))}
            />
            {g.name}（{g.memberCount} 人）
          </label>
        ))}
      </fieldset>
      {allTags.length > 0 && (
        <fieldset>
          <legend>只发给有这些标签的成员（可选）</legend>
          {allTags.map((t) => (
            <label class="check" key={t}>
              <input type="checkbox" checked={tags.includes(t)} onChange={() => setTags(toggle(tags, t))} />
              {t}
            </label>
          ))}
        </fieldset>
      )}
      {chosen.length > 0 && (
        <details>
          <summary>或者挑选成员（{members.length} 人已选）</summary>
          {chosen.map((gid) => (
            <fieldset key={gid}>
              <legend>{managed.find((g) => g.id === gid)?.name}</legend>
              {(roster[gid] ?? []).map((m) => {
                const value = `${gid}:${m.memberId}`;
                return (
                  <label class="check" key={value}>
                    <input
                      type="checkbox"
                      checked={members.includes(value)}
                      onChange={() => setMembers(toggle(members, value))}
                    />
                    {m.displayName || `成员 ${m.memberId}`}
                  </label>
                );
              })}
            </fieldset>
          ))}
        </details>
      )}
      <p class="count" role="status" aria-live="polite" data-testid="recipient-count">
        {chosen.length === 0 ? '先选择群组' : count === null ? '正在计算人数…' : `将发给 ${count} 人`}
      </p>
      <ErrorBox error={countError} />
    </Card>
  );
}
