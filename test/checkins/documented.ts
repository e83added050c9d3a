import type request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import type { TestClock, TestInstance } from '../support/harness';
import { PLACES, call, groupWith, people, secretOf, shownCode, wrongCodeAt } from './checkin-helpers';

/** Holds one answer against docs/openapi.yaml (test/docs/openapi.test.ts's `expectDocumented`). */
export type ExpectDocumented = (method: string, docPath: string, res: request.Response) => void;

/**
 * Exercises every check-in operation of docs/openapi.yaml — each success and each documented
 * failure — and holds every answer against the document. For test/docs/openapi.test.ts
 * (`it('/api/checkins…', () => exerciseCheckinRoutes(…))`) and test/checkins/documented.test.ts.
 */
export async function exerciseCheckinRoutes(
  t: TestInstance,
  sandbox: WeChatSandbox,
  clock: TestClock,
  expectDocumented: ExpectDocumented,
): Promise<void> {
  const [owner, amy, ben, stranger] = await people(
    t,
    ['doc-owner', 'doc-amy', 'doc-ben', 'doc-stranger'] as const,
    (n) => sandbox.openIdFor(n),
  );
  const { groupId } = await groupWith(t, owner, [
    { who: amy, displayName: '艾米', tags: ['班干部'] },
    { who: ben, displayName: '小本' },
  ]);
  const create = '/api/groups/{id}/checkins';
  const now = clock.now();
  const body = {
    title: '周一班会',
    startsAt: now - 60_000,
    endsAt: now + 3_600_000,
    lateAfter: now + 600_000,
  };
  const post = (who: { auth: Record<string, string> } | null, path: string, sent: object) => {
    const req = call(t).post(path);
    return (who ? req.set(who.auth) : req).send(sent);
  };
  const get = (who: { auth: Record<string, string> } | null, path: string) => {
    const req = call(t).get(path);
    return who ? req.set(who.auth) : req;
  };

  const created = await post(owner, `/api/groups/${groupId}/checkins`, {
    ...body,
    location: { ...PLACES.room, radiusM: 300 },
  });
  expectDocumented('POST', create, created);
  const id = created.body.data.id as string;
  const plain = await post(owner, `/api/groups/${groupId}/checkins`, body);
  expectDocumented('POST', create, plain);
  const plainId = plain.body.data.id as string;
  expectDocumented('POST', create, await post(owner, `/api/groups/${groupId}/checkins`, { title: '' }));
  expectDocumented('POST', create, await post(null, `/api/groups/${groupId}/checkins`, body));
  expectDocumented('POST', create, await post(amy, `/api/groups/${groupId}/checkins`, body));
  expectDocumented('POST', create, await post(stranger, `/api/groups/${groupId}/checkins`, body));
  expectDocumented(
    'POST',
    create,
    await post(owner, `/api/groups/${groupId}/checkins`, { ...body, title: '赌博' }),
  );
  sandbox.faults.secCheckBusy = true;
  expectDocumented('POST', create, await post(owner, `/api/groups/${groupId}/checkins`, body));
  sandbox.faults.secCheckBusy = false;

  const listed = `/api/groups/${groupId}/checkins`;
  expectDocumented('GET', create, await get(owner, listed));
  expectDocumented('GET', create, await get(amy, `${listed}?limit=1`));
  expectDocumented('GET', create, await get(owner, `${listed}?cursor=x&limit=0`));
  expectDocumented('GET', create, await get(stranger, listed));
  expectDocumented('GET', create, await get(null, listed));

  const one = '/api/checkins/{id}';
  expectDocumented('GET', one, await get(amy, `/api/checkins/${id}`));
  expectDocumented('GET', one, await get(owner, `/api/checkins/${id}`));
  expectDocumented('GET', one, await get(stranger, `/api/checkins/${id}`));
  expectDocumented('GET', one, await get(amy, '/api/checkins/999999'));
  expectDocumented('GET', one, await get(amy, '/api/checkins/x'));
  expectDocumented('GET', one, await get(null, `/api/checkins/${id}`));

  const code = '/api/checkins/{id}/code';
  expectDocumented('GET', code, await get(owner, `/api/checkins/${id}/code`));
  expectDocumented('GET', code, await get(owner, `/api/checkins/${id}/code?qrcode=false`));
  expectDocumented('GET', code, await get(owner, `/api/checkins/${id}/code?qrcode=maybe`));
  expectDocumented('GET', code, await get(amy, `/api/checkins/${id}/code`));
  expectDocumented('GET', code, await get(owner, '/api/checkins/999999/code'));
  expectDocumented('GET', code, await get(null, `/api/checkins/${id}/code`));

  const sign = '/api/checkins/{id}/sign';
  const shown = async () => (await shownCode(t, owner, id)).code;
  const secret = await secretOf(t, id);
  expectDocumented(
    'POST',
    sign,
    await post(amy, `/api/checkins/${id}/sign`, { code: await shown(), location: PLACES.near }),
  );
  expectDocumented(
    'POST',
    sign,
    await post(amy, `/api/checkins/${id}/sign`, { code: await shown(), location: PLACES.near }),
  );
  expectDocumented(
    'POST',
    sign,
    await post(ben, `/api/checkins/${id}/sign`, { code: await shown(), location: PLACES.far }),
  );
  expectDocumented('POST', sign, await post(ben, `/api/checkins/${id}/sign`, { code: await shown() }));
  for (let i = 0; i < 4; i++) {
    expectDocumented(
      'POST',
      sign,
      await post(ben, `/api/checkins/${id}/sign`, { code: wrongCodeAt(secret, clock.now()) }),
    );
  }
  expectDocumented(
    'POST',
    sign,
    await post(ben, `/api/checkins/${id}/sign`, { code: wrongCodeAt(secret, clock.now()) }),
  );
  expectDocumented('POST', sign, await post(stranger, `/api/checkins/${id}/sign`, { code: await shown() }));
  expectDocumented('POST', sign, await post(amy, '/api/checkins/999999/sign', { code: '123456' }));
  expectDocumented('POST', sign, await post(null, `/api/checkins/${id}/sign`, { code: '123456' }));
  const earlier = (await shownCode(t, owner, plainId)).code;
  clock.advance(45_000);
  const stale = await post(owner, `/api/checkins/${plainId}/sign`, { code: earlier });
  expectDocumented('POST', sign, stale);

  const stats = '/api/checkins/{id}/stats';
  expectDocumented('GET', stats, await get(owner, `/api/checkins/${id}/stats`));
  expectDocumented('GET', stats, await get(amy, `/api/checkins/${id}/stats`));
  expectDocumented('GET', stats, await get(owner, '/api/checkins/999999/stats'));
  expectDocumented('GET', stats, await get(owner, '/api/checkins/x/stats'));
  expectDocumented('GET', stats, await get(null, `/api/checkins/${id}/stats`));

  const remind = '/api/checkins/{id}/remind';
  expectDocumented('POST', remind, await post(owner, `/api/checkins/${id}/remind`, {}));
  expectDocumented('POST', remind, await post(owner, `/api/checkins/${id}/remind`, { all: true }));
  expectDocumented('POST', remind, await post(amy, `/api/checkins/${id}/remind`, {}));
  expectDocumented('POST', remind, await post(owner, '/api/checkins/999999/remind', {}));
  expectDocumented('POST', remind, await post(null, `/api/checkins/${id}/remind`, {}));
  clock.advance(2 * 3_600_000);
  try {
    expectDocumented('POST', remind, await post(owner, `/api/checkins/${id}/remind`, {}));
    expectDocumented('POST', sign, await post(ben, `/api/checkins/${plainId}/sign`, { code: '123456' }));
  } finally {
    clock.advance(-2 * 3_600_000);
  }
}
