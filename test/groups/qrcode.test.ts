import { inflateSync } from 'node:zlib';
import request from 'supertest';
import {
  api,
  bearer,
  login,
  TEST_APPID,
  TEST_SECRET,
  useSandbox,
  type TestInstance,
} from '../support/harness';
import { data } from '../support/api-types';
import { codeOf, createGroup, joinGroup, type GroupView } from './group-helpers';

const env = useSandbox();
let t: TestInstance;
let owner: string;
let amy: string;
let stranger: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  owner = await login(t, 'qowner#1');
  amy = await login(t, 'qamy#1');
  stranger = await login(t, 'qstranger#1');
});

/** A binary answer as a Buffer (supertest buffers only text by default). */
function qrcode(groupId: string, token: string) {
  return api(t)
    .get(`/api/groups/${groupId}/qrcode`)
    .set(bearer(token))
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

const json = (buf: unknown) =>
  JSON.parse(Buffer.from(buf as Buffer).toString('utf8')) as { errcode: number; errmsg: string };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** Reads a PNG as a decoder would: signature, chunks with their CRCs, IHDR, the inflated IDAT. */
function decodePng(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]?.data ?? Buffer.alloc(13);
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  expect([...ihdr.subarray(8)]).toEqual([8, 0, 0, 0, 0]); // 8-bit grayscale, deflate, no interlace
  const pixels = inflateSync(chunks[1]?.data ?? Buffer.alloc(0));
  expect(pixels.length).toBe((width + 1) * height);
  let dark = 0;
  for (let y = 0; y < height; y++) {
    expect(pixels[y * (width + 1)]).toBe(0); // filter type none
    for (let x = 1; x <= width; x++) if (pixels[y * (width + 1) + x] === 0) dark++;
  }
  return { width, height, dark };
}

describe('GET /api/groups/:id/qrcode', () => {
  it('answers a valid PNG from getwxacodeunlimit, the invite code as scene, for pages/group/join', async () => {
    const group = await createGroup(t, owner);
    const res = await qrcode(group.id, owner);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    const png = decodePng(res.body as Buffer);
    expect(png).toMatchObject({ width: 430, height: 430 });
    expect(png.dark).toBeGreaterThan(430 * 430 * 0.2); // a pattern, not a blank square
    expect(env.sandbox.wxacodes.calls).toEqual([
      {
        scene: codeOf(group),
        page: 'pages/group/join',
        envVersion: 'release',
        width: 430,
        at: expect.any(Number),
      },
    ]);
  });

  it('caches the image per scene: asked again, WeChat is not called again', async () => {
    const group = await createGroup(t, owner);
    const first = await qrcode(group.id, owner);
    const again = await qrcode(group.id, owner);
    expect(again.status).toBe(200);
    expect(Buffer.compare(first.body as Buffer, again.body as Buffer)).toBe(0);
    expect(env.sandbox.wxacodes.calls).toHaveLength(1);
    const key = t.instance.keys.wxaCode('pages/group/join', codeOf(group));
    expect(await t.redis.ttl(key)).toBeGreaterThan(29 * 86_400);
  });

  it('makes a new image after the code is rotated, and drops the old one', async () => {
    const group = await createGroup(t, owner);
    const before = await qrcode(group.id, owner);
    const rotated = await api(t)
      .post(`/api/groups/${group.id}/invite-code/rotate`)
      .set(bearer(owner))
      .send({});
    const fresh = codeOf(data<GroupView>(rotated));
    const after = await qrcode(group.id, owner);
    expect(Buffer.compare(before.body as Buffer, after.body as Buffer)).not.toBe(0);
    expect(env.sandbox.wxacodes.calls.map((c) => c.scene)).toEqual([codeOf(group), fresh]);
    expect(await t.redis.exists(t.instance.keys.wxaCode('pages/group/join', codeOf(group)))).toBe(0);
    expect(await t.redis.exists(t.instance.keys.wxaCode('pages/group/join', fresh))).toBe(1);
  });

  it('is for managers: 403 for a member, 404 for a stranger, 401 without a session', async () => {
    const group = await createGroup(t, owner);
    await joinGroup(t, amy, codeOf(group));
    const member = await qrcode(group.id, amy);
    expect(member.status).toBe(403);
    expect(json(member.body).errcode).toBe(40340);
    expect((await qrcode(group.id, stranger)).status).toBe(404);
    expect((await api(t).get(`/api/groups/${group.id}/qrcode`)).status).toBe(401);
    expect(env.sandbox.wxacodes.calls).toEqual([]);
  });

  it('answers a WeChat error (a JSON body instead of an image) as 503 50340, caching nothing', async () => {
    const group = await createGroup(t, owner);
    env.sandbox.faults.quotaExceeded = true;
    const refused = await qrcode(group.id, owner);
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(json(refused.body)).toMatchObject({ errcode: 50340, errmsg: expect.stringContaining('45009') });
    expect(await t.redis.exists(t.instance.keys.wxaCode('pages/group/join', codeOf(group)))).toBe(0);
    env.sandbox.faults.quotaExceeded = false; // the positive control: the same request, WeChat willing
    expect((await qrcode(group.id, owner)).status).toBe(200);
  });

  it('replaces a revoked access_token once and answers the image', async () => {
    const group = await createGroup(t, owner);
    await qrcode(group.id, owner); // a token in use
    const other = await createGroup(t, owner, '另一个');
    env.sandbox.revokeTokens();
    const fetches = env.sandbox.stats.stableTokenFetches;
    const res = await qrcode(other.id, owner);
    expect(res.status).toBe(200);
    expect(env.sandbox.stats.stableTokenFetches).toBeGreaterThan(fetches);
    expect(env.sandbox.wxacodes.calls.map((c) => c.scene)).toEqual([codeOf(group), codeOf(other)]);
  });

  it('shares one WeChat call among concurrent first requests', async () => {
    const group = await createGroup(t, owner);
    const answers = await Promise.all(Array.from({ length: 5 }, () => qrcode(group.id, owner)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(env.sandbox.wxacodes.calls).toHaveLength(1);
  });
});

describe('the sandbox’s POST /wxa/getwxacodeunlimit', () => {
  let token: string;
  const sandbox = () => request(env.url);
  const call = (body: object, accessToken = token) =>
    sandbox()
      .post(`/wxa/getwxacodeunlimit?access_token=${accessToken}`)
      .send(body)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

  beforeEach(async () => {
    const res = await sandbox()
      .post('/cgi-bin/stable_token')
      .send({ grant_type: 'client_credential', appid: TEST_APPID, secret: TEST_SECRET });
    token = (res.body as { access_token: string }).access_token;
  });

  it('answers a PNG per scene: the same scene the same image, another scene another', async () => {
    const a = await call({ scene: 'ABCDEFGH', page: 'pages/group/join', width: 280 });
    expect(a.headers['content-type']).toBe('image/png');
    expect(decodePng(a.body as Buffer)).toMatchObject({ width: 280, height: 280 });
    const same = await call({ scene: 'ABCDEFGH', page: 'pages/group/join', width: 280 });
    const other = await call({ scene: 'ABCDEFGI', page: 'pages/group/join', width: 280 });
    expect(Buffer.compare(a.body as Buffer, same.body as Buffer)).toBe(0);
    expect(Buffer.compare(a.body as Buffer, other.body as Buffer)).not.toBe(0);
    // Every visible character WeChat allows, 32 of them.
    const full = await call({ scene: "09azAZ!#$&'()*+,/:;=?@-._~abcdef" });
    expect(full.headers['content-type']).toBe('image/png');
  });

  it('answers 40169 as JSON for a scene over 32 characters, with other characters, or none', async () => {
    for (const scene of ['A'.repeat(33), 'ABC DEF', '邀请码', 'a%20b', '', 42]) {
      const res = await call({ scene });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(json(res.body).errcode).toBe(40169);
    }
    expect(json((await call({ page: 'pages/group/join' })).body).errcode).toBe(40169);
  });

  it('answers 40001 for a bad access_token and 41001 for none, as the other APIs', async () => {
    expect(json((await call({ scene: 'ABCDEFGH' }, 'not-a-token')).body).errcode).toBe(40001);
    const none = await sandbox().post('/wxa/getwxacodeunlimit').send({ scene: 'ABCDEFGH' });
    expect((none.body as { errcode: number }).errcode).toBe(41001);
    env.sandbox.revokeTokens();
    expect(json((await call({ scene: 'ABCDEFGH' })).body).errcode).toBe(40001);
  });

  it('answers 41030 for a malformed page and 40097 for a bad env_version', async () => {
    expect(json((await call({ scene: 'A', page: '/pages/group/join?x=1' })).body).errcode).toBe(41030);
    expect(json((await call({ scene: 'A', env_version: 'beta' })).body).errcode).toBe(40097);
    const develop = await call({ scene: 'A', env_version: 'develop', check_path: false });
    expect(develop.headers['content-type']).toBe('image/png');
  });
});
