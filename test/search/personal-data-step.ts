import type { Step } from '../personal-data/every-feature';
import { waitFor } from '../support/harness';

/**
 * Search as a step of test/personal-data/every-feature.ts (`STEPS`): the subject finds a notice
 * they received and one of their own group, newest and hot. The index holds notices' text by
 * group (`search:{g<id>}:…`) and their activity counts (`notice:{nt<id>}:activity`), never who
 * searched or who read: nothing of it names a person.
 */
export const SEARCH_STEP: Step = {
  feature: 'search: notices received and of a group managed, newest and hot',
  routes: ['GET /api/notices'],
  async run(world) {
    const [me = ''] = world.subject.tokens;
    const them = world.other.token;
    const group = await world.call(them, 'POST /api/groups', {}, { name: '搜索组' });
    await world.call(me, 'POST /api/groups/join', {}, { code: group.body.data.invite.code });
    await world.call(
      them,
      'POST /api/notices',
      {},
      { title: '期末考试安排', category: '考试', audience: { groups: [group.body.data.id] } },
    );
    await waitFor(
      async () => {
        const res = await world.call(me, 'GET /api/notices', {}, undefined, { q: '期末' });
        return (res.body.data.items as unknown[]).length === 1;
      },
      { what: 'the subject to find the notice they received' },
    );
    await world.call(me, 'GET /api/notices', {}, undefined, { sort: 'hot', category: '考试' });
  },
};
