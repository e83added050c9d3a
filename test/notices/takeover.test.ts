import path from 'node:path';
import { projectRoot } from '../../src/infra/paths';
import { loadCategories } from '../../src/services/notice-categories';
import { NoticePublisher } from '../../src/services/notice-publisher';
import { InboxStore, inboxShardOf } from '../../src/store/inbox-store';
import { NoticeRecipientStore } from '../../src/store/notice-recipient-store';
import { NoticeStore } from '../../src/store/notice-store';
import { loadTemplates } from '../../src/wechat/templates';
import { TestClock, uniquePrefix, useSandbox, waitFor } from '../support/harness';
import { group, members, person, publish, pushesOf, QUICK, settled, stats } from './notice-helpers';

const lab = useSandbox();

// docs/architecture.md#notices-to-groups: a 10,000-member notice answers at once and fans out after the answer — durably: an
// instance that dies mid-fan-out leaves its job to another, which finishes it from the last step
// recorded without writing an inbox entry or sending a push twice.
describe('a fan-out whose instance dies half-way', () => {
  it('is taken over once its lease runs out and finished: every recipient once, inbox and push', async () => {
    const clock = new TestClock();
    const redisPrefix = uniquePrefix();
    // The instance that takes the publication up: no sweeps of its own until the end.
    const writer = await lab.start({ now: clock.now, config: { redisPrefix }, tuning: QUICK, start: false });
    const teacher = await person(writer, lab.sandbox, 'k-teacher');
    const { id: groupId, code } = await group(writer, teacher, '三班');
    const names = Array.from({ length: 80 }, (_, i) => `k${i}`);
    const openids = await members(writer, lab.sandbox, code, names);

    // A publisher of its own (10 recipients a chunk, 4 chunks a step) that dies during its second
    // step: the first step (40 recipients) is recorded; the second's inbox entries are written and
    // its pushes stored, but the step is never recorded.
    let sends = 0;
    const catalog = loadTemplates(path.join(projectRoot(), 'config', 'templates.json'));
    const dying = new NoticePublisher({
      store: new NoticeStore(writer.redis, writer.instance.keys),
      recipients: new NoticeRecipientStore(writer.redis, writer.instance.keys),
      inbox: new InboxStore(writer.redis, writer.instance.keys),
      groups: writer.instance.groups,
      notifications: {
        prepare: (content) => writer.instance.notifications.prepare(content),
        sendPrepared: async (prepared, to) => {
          const made = await writer.instance.notifications.sendPrepared(prepared, to);
          if (++sends === 5) throw new Error('the instance died');
          return made;
        },
      },
      categories: loadCategories(path.join(projectRoot(), 'config', 'categories.json'), catalog),
      instanceId: 'dying',
      timezone: 'Asia/Shanghai',
      logger: writer.logs.logger,
      now: clock.now,
      leaseMs: 60_000, // by the test clock: real time (a loaded machine) does not run it out
      chunkSize: 10,
      chunksPerStep: 4,
    });
    const notice = await publish(writer, teacher, {
      title: '运动会报名',
      audience: { groups: [groupId] },
      publishAt: clock.now() + 1000,
    });
    clock.advance(1000);
    await dying.sweep();
    await waitFor(() => sends === 8); // the step's other chunks end after the failed one
    await waitFor(() => pushesOf(lab.sandbox, notice.id).length === 80);
    expect(await stats(writer, teacher, notice.id)).toMatchObject({
      status: 'publishing',
      recipients: 80,
      inbox: 40,
    });

    // Another instance sweeps: the job's lease still holds, so it waits (its sweeps see the job due
    // and are refused the claim); once the lease has run out by the clock, it takes over.
    const taker = await lab.start({ now: clock.now, config: { redisPrefix }, tuning: QUICK });
    expect(await taker.instance.noticePublisher.sweep()).toBe(0); // due again only at the lease's end
    clock.advance(60_000);
    const done = await settled(taker, teacher, notice.id);
    expect(done).toMatchObject({ recipients: 80, inbox: 80, push: expect.objectContaining({ sent: 80 }) });

    // The second step done again: nothing twice.
    const pushed = pushesOf(lab.sandbox, notice.id);
    expect(pushed).toHaveLength(80);
    expect(new Set(pushed.map((m) => m.touser))).toEqual(new Set(openids));
    for (const openid of openids) {
      const entries = await writer.redis.zRange(
        writer.instance.keys.inboxUnread(inboxShardOf(openid), openid),
        0,
        -1,
      );
      expect(entries).toHaveLength(1);
    }
    await dying.stop();
  });
});
