import { GroupRoster } from '../../src/services/group-roster';
import type { GroupService } from '../../src/services/group-service';
import { GroupStore } from '../../src/store/group-store';
import { useSandbox, type TestInstance } from '../support/harness';

/**
 * The GroupService contract notices build on (membership, get, members, membersById, isManager),
 * against real Redis: what it answers is what the group's keys hold.
 */
const env = useSandbox();
let t: TestInstance;
let groups: GroupService;
let roster: GroupRoster;
const openid = (name: string) => env.sandbox.openIdFor(name);

beforeAll(async () => {
  t = await env.start({ start: false });
  groups = t.instance.groups;
  roster = new GroupRoster({ groups, store: new GroupStore(t.redis, t.instance.keys), now: Date.now });
});

/** A group owned by `owner` with `names` joined through its invite code, in that order. */
async function groupWith(owner: string, names: string[]) {
  const { group } = await groups.create(openid(owner), { name: '三年二班' });
  const joined = [];
  for (const name of names) joined.push((await groups.join(openid(name), group.inviteCode)).me);
  return { group, joined };
}

describe('GroupService (the contract notices build on)', () => {
  it('answers a member their membership, a non-member null, and an unknown group null', async () => {
    const { group, joined } = await groupWith('owner1', ['amy', 'ben']);
    const amy = await groups.membership(group.id, openid('amy'));
    expect(amy).toEqual({
      groupId: group.id,
      memberId: joined[0]?.memberId,
      openid: openid('amy'),
      role: 'member',
      tags: [],
      displayName: '',
      studentNo: '',
      joinedAt: expect.any(Number),
    });
    expect((await groups.membership(group.id, openid('owner1')))?.role).toBe('owner');
    expect(await groups.membership(group.id, openid('stranger'))).toBeNull();
    expect(await groups.membership('999999', openid('amy'))).toBeNull();
  });

  it('get() counts the members and answers null for an unknown group', async () => {
    const { group } = await groupWith('owner2', ['amy', 'ben', 'cat']);
    expect(await groups.get(group.id)).toMatchObject({ id: group.id, name: '三年二班', memberCount: 4 });
    expect(await groups.get('999999')).toBeNull();
  });

  it('members() lists everyone in join order, or those with one of the tags', async () => {
    const { group, joined } = await groupWith('owner3', ['amy', 'ben', 'cat']);
    const [amy, ben, cat] = joined;
    if (!amy || !ben || !cat) throw new Error('setup');
    await roster.change(openid('owner3'), group.id, amy.memberId, { tags: ['班干部'] });
    await roster.change(openid('owner3'), group.id, cat.memberId, { tags: ['学生会', '社团'] });
    const all = await groups.members(group.id);
    expect(all.map((m) => m.openid)).toEqual([openid('owner3'), openid('amy'), openid('ben'), openid('cat')]);
    const tagged = await groups.members(group.id, { tags: ['班干部', '社团'] });
    expect(tagged.map((m) => [m.memberId, m.tags])).toEqual([
      [amy.memberId, ['班干部']],
      [cat.memberId, ['学生会', '社团']],
    ]);
    expect(await groups.members(group.id, { tags: ['nobody'] })).toEqual([]);
    expect(await groups.members('999999')).toEqual([]);
  });

  it('membersById() finds members of this group only and leaves unknown ids out', async () => {
    const { group, joined } = await groupWith('owner4', ['amy', 'ben']);
    const other = await groupWith('owner5', ['cat', 'dan', 'eve']);
    const [amy, ben] = joined;
    if (!amy || !ben) throw new Error('setup');
    const found = await groups.membersById(group.id, [ben.memberId, '77', amy.memberId, ben.memberId]);
    expect(found.map((m) => [m.memberId, m.openid])).toEqual([
      [ben.memberId, openid('ben')],
      [amy.memberId, openid('amy')],
    ]);
    // Member ids are per group: the other group's member 4 (eve) is not this group's.
    expect((await groups.membersById(other.group.id, ['4']))[0]?.openid).toBe(openid('eve'));
    expect(await groups.membersById(group.id, ['4'])).toEqual([]);
  });

  it('isManager() is true for the owner and managers only', async () => {
    const { group, joined } = await groupWith('owner6', ['amy', 'ben']);
    const [amy] = joined;
    if (!amy) throw new Error('setup');
    await roster.change(openid('owner6'), group.id, amy.memberId, { role: 'manager' });
    expect(groups.isManager(await groups.membership(group.id, openid('owner6')))).toBe(true);
    expect(groups.isManager(await groups.membership(group.id, openid('amy')))).toBe(true);
    expect(groups.isManager(await groups.membership(group.id, openid('ben')))).toBe(false);
    expect(groups.isManager(null)).toBe(false);
  });

  it('joins in O(1): 10,000 members, then a join of its own is as quick as the first ones', async () => {
    const { group } = await groupWith('owner7', []);
    const code = group.inviteCode;
    const timed = async (from: number, n: number) => {
      const started = process.hrtime.bigint();
      await Promise.all(Array.from({ length: n }, (_, i) => groups.join(openid(`m${from + i}`), code)));
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const first = await timed(0, 500);
    for (let from = 500; from < 9_500; from += 500) await timed(from, 500); // batches a loaded Redis answers within the 2 s command deadline
    const last = await timed(9_500, 499); // 1 owner + 9,999 members
    expect((await groups.get(group.id))?.memberCount).toBe(10_000);
    expect((await groups.members(group.id)).length).toBe(10_000);
    // A join that read the roster (HGETALL of 1.5 MB at 10,000 members) would make the last batch
    // seconds slower; the margin is for a machine shared with other test files.
    expect(last).toBeLessThan(first * 4 + 500);
    await expect(groups.join(openid('one-too-many'), code)).rejects.toMatchObject({ errcode: 40942 });

    // A rare tag in a large group: each page reads at most 2,000 members and says where to go on.
    const rare = await groups.membership(group.id, openid('m9600'));
    if (!rare) throw new Error('setup');
    await roster.change(openid('owner7'), group.id, rare.memberId, { tags: ['稀有'] });
    const found: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await roster.list(openid('owner7'), group.id, { tag: '稀有', limit: 50, cursor });
      found.push(...page.items.map((m) => m.memberId));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(found).toEqual([rare.memberId]);
    expect(pages).toBeGreaterThanOrEqual(5); // 10,000 members, 2,000 a page at most
  }, 120_000);
});
