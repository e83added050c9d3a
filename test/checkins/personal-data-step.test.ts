import request from 'supertest';
import { atomsOfExport, atomsOfKey, familyOf, namesSubject, readKeyspace } from '../personal-data/keyspace';
import type { World } from '../personal-data/every-feature';
import { bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { CHECKIN_STEP } from './personal-data-step';

/**
 * CHECKIN_STEP under test/personal-data/completeness.test.ts's rules, for check-in keys: each key
 * naming the subject is in a family of the `checkins` contributor, the export holds all of it,
 * and DELETE /api/me leaves none.
 */
const env = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start();
});

describe('the check-in step of the personal-data completeness test', () => {
  it('leaves check-in keys that are declared, exported and erased', async () => {
    const subject = {
      name: 'pd-subject',
      openid: env.sandbox.openIdFor('pd-subject'),
      tokens: [] as string[],
    };
    subject.tokens.push(await login(t, 'pd-subject#1'));
    const other = {
      name: 'pd-other',
      openid: env.sandbox.openIdFor('pd-other'),
      token: await login(t, 'pd-other#1'),
    };
    const called = new Set<string>();
    const world: World = {
      t,
      sandbox: env.sandbox,
      subject,
      other,
      mark: (route) => called.add(route),
      async call(token, route, params = {}, body, query) {
        const [method = '', template = ''] = route.split(' ');
        const path = template.replace(/\{([a-z]+)\}/gi, (_, name: string) =>
          encodeURIComponent(params[name] ?? ''),
        );
        let req = request(t.instance.app.callback())[method.toLowerCase() as 'get'](path).set(bearer(token));
        if (query) req = req.query(query);
        const res = await (body === undefined ? req : req.send(body as object));
        if (res.status >= 300) throw new Error(`${route} answered ${res.status} ${res.text}`);
        called.add(route);
        return res;
      },
    };
    await CHECKIN_STEP.run(world);
    expect([...CHECKIN_STEP.routes].filter((r) => !called.has(r))).toEqual([]);

    const who = { openid: subject.openid, ids: new Set<string>() };
    const families = t.instance.personalData.families().filter((f) => f.owner === 'checkins');
    const keys = (await readKeyspace(t.redis, t.config.redisPrefix)).filter(
      (k) => k.name.includes('checkin') && namesSubject(who, k),
    );
    expect(keys.map((k) => familyOf(who, families, k.name)?.pattern).sort()).toEqual([
      'checkin:<tag>:signs',
      'checkin:<tag>:wrong:<openid>',
      'user:{u<shard>}:<openid>:checkins',
    ]);
    const exported = (
      await request(t.instance.app.callback())
        .get('/api/me/export')
        .set(bearer(subject.tokens[0] ?? ''))
    ).body.data;
    const atoms = atomsOfExport(exported);
    const missing = keys.flatMap((key) => {
      const family = familyOf(who, families, key.name);
      const absent = family
        ? atomsOfKey(who, key, family).filter((atom) => !atoms.has(atom))
        : ['(no family)'];
      return absent.length > 0 ? [{ key: key.name, absent }] : [];
    });
    expect(missing).toEqual([]);

    expect(
      (
        await request(t.instance.app.callback())
          .delete('/api/me')
          .set(bearer(subject.tokens[0] ?? ''))
      ).status,
    ).toBe(200);
    const left = (await readKeyspace(t.redis, t.config.redisPrefix)).filter(
      (k) => k.name.includes('checkin') && namesSubject(who, k),
    );
    expect(left.map((k) => k.name)).toEqual([]);
  });
});
