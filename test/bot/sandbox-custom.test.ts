import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PushCrypto } from '../../src/push/push-crypto';
import { TEST_APPID, TEST_SECRET, TestClock, useSandbox } from '../support/harness';
import { AES_KEY, PUSH_TOKEN, push, SECURE, text } from './bot-helpers';

// The sandbox's customer-service API and push side (docs/wechat.md#customer-service-messages), over HTTP as tixing uses them.
const clock = new TestClock();
const env = useSandbox({ push: SECURE, now: clock.now });
const product = new PushCrypto({ token: PUSH_TOKEN, encodingAesKey: AES_KEY, appId: TEST_APPID });

async function token(): Promise<string> {
  const res = await fetch(`${env.url}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: TEST_APPID, secret: TEST_SECRET }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function send(body: unknown, accessToken?: string): Promise<{ errcode: number; errmsg: string }> {
  const res = await fetch(
    `${env.url}/cgi-bin/message/custom/send?access_token=${accessToken ?? (await token())}`,
    {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
  );
  return (await res.json()) as { errcode: number; errmsg: string };
}

async function upload(bytes: Buffer, type = 'image'): Promise<Record<string, unknown>> {
  const boundary = '----sandboxtest';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await fetch(`${env.url}/cgi-bin/media/upload?access_token=${await token()}&type=${type}`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
  return (await res.json()) as Record<string, unknown>;
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** A push URL that records what it got and answers `answers` in turn (then `success`). */
async function recorder(answers: { status: number; body: string }[] = []) {
  const got: { url: string; body: string; type: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ url: req.url ?? '', body, type: req.headers['content-type'] ?? '' });
      const answer = answers.shift() ?? { status: 200, body: 'success' };
      res.writeHead(answer.status).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/wx/message`;
  return { got, url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('sandbox cgi-bin/message/custom/send', () => {
  it('answers 45015 to a user who never wrote, then 5 messages within 48 h, then 45047', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('cass');
    const accessToken = await token();
    const msg = (content: string) => ({ touser: openid, msgtype: 'text', text: { content } });
    expect((await send(msg('早'), accessToken)).errcode).toBe(45015);
    sandbox.custom.openWindow(openid, 'message', clock.now());
    for (let i = 1; i <= 5; i++)
      expect(await send(msg(`第${i}条`), accessToken)).toEqual({ errcode: 0, errmsg: 'ok' });
    const sixth = await send(msg('第6条'), accessToken);
    expect(sixth.errcode).toBe(45047);
    expect(sixth.errmsg).toMatch(/rid: /);
    expect(sandbox.custom.sent.map((m) => m.text?.content)).toEqual([
      '第1条',
      '第2条',
      '第3条',
      '第4条',
      '第5条',
    ]);
    // A new message resets the window to its maximum; 48 h later it is over.
    sandbox.custom.openWindow(openid, 'message', clock.now());
    expect((await send(msg('新窗口'), accessToken)).errcode).toBe(0);
    clock.advance(48 * 3_600_000);
    expect((await send(msg('太晚了'), await token())).errcode).toBe(45015);
  });

  it('gives entering the session one message within a minute', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('sid');
    sandbox.custom.openWindow(openid, 'session', clock.now());
    const msg = { touser: openid, msgtype: 'text', text: { content: '欢迎' } };
    expect((await send(msg)).errcode).toBe(0);
    expect((await send(msg)).errcode).toBe(45047);
    sandbox.custom.openWindow(openid, 'session', clock.now());
    clock.advance(61_000);
    expect((await send(msg)).errcode).toBe(45015);
  });

  it("checks the message as WeChat does: the openid, the type, the text's size, the media", async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('val');
    sandbox.custom.openWindow(openid, 'message', clock.now());
    expect((await send({ touser: 'not-an-openid', msgtype: 'text', text: { content: 'x' } })).errcode).toBe(
      40003,
    );
    expect((await send({ touser: openid, msgtype: 'voice', voice: {} })).errcode).toBe(40008);
    expect(
      (await send({ touser: openid, msgtype: 'text', text: { content: '长'.repeat(700) } })).errcode,
    ).toBe(45002);
    expect((await send({ touser: openid, msgtype: 'image', image: { media_id: 'unknown' } })).errcode).toBe(
      40007,
    );
    expect((await send('')).errcode).toBe(44002);
    expect(
      (await send({ touser: openid, msgtype: 'text', text: { content: 'x' } }, 'revoked-token')).errcode,
    ).toBe(40001);
    expect(sandbox.custom.sent).toEqual([]);
    expect(sandbox.custom.stats.sendCalls).toBe(6);
  });
});

describe('sandbox cgi-bin/media/upload', () => {
  it('answers {type, media_id, created_at} for an image, usable by custom/send for 3 days', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('mia');
    const answer = await upload(PNG);
    expect(answer).toEqual({
      type: 'image',
      media_id: expect.stringMatching(/^[\w-]{64}$/),
      created_at: Math.floor(clock.now() / 1000),
    });
    sandbox.custom.openWindow(openid, 'message', clock.now());
    const image = { touser: openid, msgtype: 'image', image: { media_id: answer.media_id } };
    expect((await send(image)).errcode).toBe(0);
    clock.advance(3 * 86_400_000);
    sandbox.custom.openWindow(openid, 'message', clock.now());
    expect((await send(image)).errcode).toBe(40007); // expired
  });

  it('refuses what is not an image (40005) and other media types (40004)', async () => {
    expect((await upload(Buffer.from('plain text'))).errcode).toBe(40005);
    expect((await upload(PNG, 'voice')).errcode).toBe(40004);
    expect(env.sandbox.custom.media.size).toBe(0);
  });
});

describe('sandbox POST /__sandbox/push', () => {
  it('signs and encrypts as WeChat does: the product verifies and decrypts it (JSON and XML)', async () => {
    const target = await recorder();
    try {
      for (const format of ['json', 'xml'] as const) {
        const report = await push(env.sandbox, target.url, 'pia', text('你好'), { format });
        expect(report.delivered).toBe(true);
        const got = target.got.at(-1);
        const query = new URL(got?.url ?? '', 'http://x').searchParams;
        expect(query.get('encrypt_type')).toBe('aes');
        expect(query.get('openid')).toBe(env.sandbox.openIdFor('pia'));
        const encrypt =
          format === 'json'
            ? (JSON.parse(got?.body ?? '{}') as { Encrypt: string }).Encrypt
            : (/<Encrypt><!\[CDATA\[(.*?)\]\]>/.exec(got?.body ?? '')?.[1] ?? '');
        const [ts, nonce] = [query.get('timestamp') ?? '', query.get('nonce') ?? ''];
        expect(product.verifySignature(query.get('signature') ?? '', ts, nonce)).toBe(true);
        expect(product.verifyMsgSignature(query.get('msg_signature') ?? '', ts, nonce, encrypt)).toBe(true);
        const plain = product.decrypt(encrypt).message;
        expect(plain).toContain('你好');
        expect(got?.type).toBe(format === 'json' ? 'application/json' : 'text/xml');
        if (format === 'json')
          expect(JSON.parse(plain)).toMatchObject({
            MsgType: 'text',
            Content: '你好',
            MsgId: report.message.MsgId,
          });
      }
    } finally {
      await target.close();
    }
  });

  it('re-sends a push answered with anything but success, and reports each attempt', async () => {
    const target = await recorder([
      { status: 500, body: 'oops' },
      { status: 200, body: 'not success' },
    ]);
    try {
      const report = await push(env.sandbox, target.url, 'ray', text('再来'));
      expect(report.attempts.map((a) => [a.status, a.ok, a.why])).toEqual([
        [500, false, 'HTTP 500'],
        [200, false, 'neither success nor a passive reply'],
        [200, true, undefined],
      ]);
      expect(new Set(target.got.map((g) => new URL(g.url, 'http://x').searchParams.get('nonce'))).size).toBe(
        3,
      );
      const none = await push(env.sandbox, target.url, 'ray', text('x'), { retries: 0 });
      expect(none.attempts).toHaveLength(1);
    } finally {
      await target.close();
    }
  });

  it('answers 400 with every problem of a bad request', async () => {
    const res = await fetch(`${env.url}/__sandbox/push`, {
      method: 'POST',
      body: JSON.stringify({ to: 'ftp://x', message: 3, retries: 9, colour: 'red' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { problems: string[] };
    expect(body.problems).toHaveLength(4);
  });
});
