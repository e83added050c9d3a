import request from 'supertest';
import type { Step } from '../personal-data/every-feature';
import { bearer } from '../support/harness';

/**
 * Meeting check-in as a step of test/personal-data/every-feature.ts (`STEPS`): the other person
 * runs a group and a check-in; the subject joins, types a wrong code and signs in, which leaves
 * their sign-in, their wrong code and their index (src/services/checkin-personal-data.ts).
 */
export const CHECKIN_STEP: Step = {
  feature: 'meeting check-in: a wrong code, a sign-in, stats and a reminder',
  routes: [
    'POST /api/groups',
    'POST /api/groups/join',
    'POST /api/groups/{id}/checkins',
    'GET /api/groups/{id}/checkins',
    'GET /api/checkins/{id}',
    'GET /api/checkins/{id}/code',
    'POST /api/checkins/{id}/sign',
    'GET /api/checkins/{id}/stats',
    'POST /api/checkins/{id}/remind',
  ],
  async run(world) {
    const [token = ''] = world.subject.tokens;
    const manager = world.other.token;
    const group = await world.call(manager, 'POST /api/groups', {}, { name: '签到测试' });
    const groupId = group.body.data.id as string;
    await world.call(token, 'POST /api/groups/join', {}, { code: group.body.data.invite.code });
    const now = Date.now();
    const created = await world.call(
      manager,
      'POST /api/groups/{id}/checkins',
      { id: groupId },
      {
        title: '周一班会',
        startsAt: now - 60_000,
        endsAt: now + 3_600_000,
      },
    );
    const id = created.body.data.id as string;
    await world.call(token, 'GET /api/groups/{id}/checkins', { id: groupId }); // the member's list
    await world.call(token, 'GET /api/checkins/{id}', { id });
    const shown = await world.call(manager, 'GET /api/checkins/{id}/code', { id }, undefined, {
      qrcode: 'false',
    });
    const code = shown.body.data.code as string;
    // A wrong code answers 400, so it is sent without `call` (which expects a 2xx).
    const wrong = await request(world.t.instance.app.callback())
      .post(`/api/checkins/${id}/sign`)
      .set(bearer(token))
      .send({ code: code === '000000' ? '000001' : '000000' });
    if (wrong.status !== 400) throw new Error(`a wrong code answered ${wrong.status} ${wrong.text}`);
    await world.call(token, 'POST /api/checkins/{id}/sign', { id }, { code });
    await world.call(manager, 'GET /api/checkins/{id}/stats', { id });
    await world.call(manager, 'POST /api/checkins/{id}/remind', { id }, {});
  },
};
