import { useState } from 'preact/hooks';
import { get, patch, post } from '../api';
import { Card, ConfirmDialog, ErrorBox, Loading, formatTime, useLoad } from '../components/ui';
import { navigate } from '../router';
import type { GroupView, MemberView, Page, Role } from '../types';

const ROLES: Record<Role, string> = { owner: '群主', manager: '管理员', member: '成员' };

/** The publisher's groups (GET /api/groups), and a new one. */
export function GroupsPage() {
  const { data, error } = useLoad(() => get<Page<GroupView>>('/api/groups?limit=50'), []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [createError, setCreateError] = useState<unknown>(null);
  const create = (e: Event) => {
    e.preventDefault();
    setCreateError(null);
    post<GroupView>('/api/groups', { name, ...(description ? { description } : {}) }).then(
      (g) => navigate(`/groups/${g.id}`),
      setCreateError,
    );
  };
  return (
    <>
      <h1>我的群组</h1>
      <ErrorBox error={error} />
      {!data ? (
        <Loading />
      ) : data.items.length === 0 ? (
        <p class="muted">你还没有加入或创建任何群组。</p>
      ) : (
        <ul class="cards" aria-label="群组">
          {data.items.map((g) => (
            <li key={g.id} class="card">
              <h2>
                <a href={`#/groups/${g.id}`}>{g.name}</a>
              </h2>
              <p class="muted">
                {g.memberCount} 人 · 我是{ROLES[g.me.role]}
              </p>
              {g.description && <p>{g.description}</p>}
            </li>
          ))}
        </ul>
      )}
      <Card title="新建群组">
        <form onSubmit={create}>
          <label for="group-name">名称</label>
          <input
            id="group-name"
            required
            maxLength={40}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <label for="group-description">简介（可选）</label>
          <input
            id="group-description"
            maxLength={200}
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
          <ErrorBox error={createError} />
          <button type="submit">创建</button>
        </form>
      </Card>
    </>
  );
}

/** One group: members (roles, tags), the invite code and its QR code (managers). */
export function GroupPage({ id }: { id: string }) {
  const group = useLoad(() => get<GroupView>(`/api/groups/${id}`), [id]);
  const manages = group.data ? group.data.me.role !== 'member' : false;
  const members = useLoad(
    () => (manages ? get<Page<MemberView>>(`/api/groups/${id}/members?limit=200`) : Promise.resolve(null)),
    [id, manages],
  );
  const [rotating, setRotating] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  if (!group.data) return group.error ? <ErrorBox error={group.error} /> : <Loading />;
  const g = group.data;
  const rotate = () => {
    post<GroupView>(`/api/groups/${id}/invite-code/rotate`)
      .then((next) => group.setData(next), setActionError)
      .finally(() => setRotating(false));
  };
  return (
    <>
      <p>
        <a href="#/groups">← 我的群组</a>
      </p>
      <h1>{g.name}</h1>
      <p class="muted">
        {g.memberCount} 人 · 创建于 {formatTime(g.createdAt)} · 我是{ROLES[g.me.role]}
      </p>
      <ErrorBox error={actionError} />
      {g.invite && (
        <Card
          title="邀请加入"
          actions={
            <button type="button" class="secondary small" onClick={() => setRotating(true)}>
              更换邀请码
            </button>
          }
        >
          <div class="invite">
            <img
              src={`/api/groups/${id}/qrcode?code=${g.invite.code}`}
              width={160}
              height={160}
              alt={`加入「${g.name}」的小程序码`}
            />
            <div>
              <p>
                邀请码：
                <strong class="code" data-testid="invite-code">
                  {g.invite.code}
                </strong>
              </p>
              <p class="muted">成员在小程序里扫码或输入邀请码加入。</p>
              <p>
                <a class="button" href={`#/notices/new?group=${id}`}>
                  给本群发通知
                </a>{' '}
                <a class="button secondary" href={`#/checkins?group=${id}`}>
                  发起签到
                </a>
              </p>
            </div>
          </div>
        </Card>
      )}
      <ConfirmDialog
        open={rotating}
        title="更换邀请码？"
        confirmLabel="更换"
        onConfirm={rotate}
        onCancel={() => setRotating(false)}
      >
        <p>旧的邀请码和小程序码会立即失效。</p>
      </ConfirmDialog>
      {manages && (
        <Card title="成员">
          <ErrorBox error={members.error} />
          {!members.data ? (
            <Loading />
          ) : (
            <Members groupId={id} me={g.me} members={members.data.items} reload={members.reload} />
          )}
        </Card>
      )}
    </>
  );
}

function Members(props: { groupId: string; me: MemberView; members: MemberView[]; reload: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  const [tags, setTags] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState<unknown>(null);
  const start = (m: MemberView) => {
    setEditing(m.memberId);
    setTags(m.tags.join(' '));
    setRole(m.role);
    setError(null);
  };
  const save = (m: MemberView) => (e: Event) => {
    e.preventDefault();
    const next = tags.split(/[\s,，]+/).filter(Boolean);
    const body: { tags: string[]; role?: Role } = { tags: next };
    if (props.me.role === 'owner' && role !== m.role) body.role = role;
    patch(`/api/groups/${props.groupId}/members/${m.memberId}`, body).then(() => {
      setEditing(null);
      props.reload();
    }, setError);
  };
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">成员号</th>
            <th scope="col">姓名</th>
            <th scope="col">学号</th>
            <th scope="col">角色</th>
            <th scope="col">标签</th>
            <th scope="col">加入时间</th>
            <th scope="col">
              <span class="sr-only">操作</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) =>
            editing === m.memberId ? (
              <tr key={m.memberId}>
                <td colSpan={7}>
                  <form class="row" onSubmit={save(m)}>
                    <span>{m.displayName || `成员 ${m.memberId}`}</span>
                    {props.me.role === 'owner' && m.role !== 'owner' && (
                      <>
                        <label for={`role-${m.memberId}`}>角色</label>
                        <select
                          id={`role-${m.memberId}`}
                          value={role}
                          onChange={(e) => setRole(e.currentTarget.value as Role)}
                        >
                          <option value="member">成员</option>
                          <option value="manager">管理员</option>
                        </select>
                      </>
                    )}
                    <label for={`tags-${m.memberId}`}>标签（空格分隔）</label>
                    <input
                      id={`tags-${m.memberId}`}
                      value={tags}
                      onInput={(e) => setTags(e.currentTarget.value)}
                    />
                    <button type="submit">保存</button>
                    <button type="button" class="secondary" onClick={() => setEditing(null)}>
                      取消
                    </button>
                    <ErrorBox error={error} />
                  </form>
                </td>
              </tr>
            ) : (
              <tr key={m.memberId}>
                <td>{m.memberId}</td>
                <td>{m.displayName || <span class="muted">未填写</span>}</td>
                <td>{m.studentNo || '—'}</td>
                <td>{ROLES[m.role]}</td>
                <td>
                  {m.tags.map((t) => (
                    <span class="tag" key={t}>
                      {t}
                    </span>
                  ))}
                </td>
                <td>{formatTime(m.joinedAt)}</td>
                <td>
                  <button
                    type="button"
                    class="secondary small"
                    onClick={() => start(m)}
                    aria-label={`编辑 ${m.displayName || m.memberId}`}
                  >
                    编辑
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}
