/**
 * The generated requests of the bad-input battery: every route that reads input, each field given
 * values of the wrong type, size, date, zone or text, bodies in broken encodings, bad headers and
 * methods. Each one is bad: it must be refused (4xx), or at most accepted without effect
 * (`mayBeAccepted`: a report of a template this server does not use).
 */
export type Kind = 'types' | 'encodings' | 'sizes' | 'dates' | 'zones' | 'unicode' | 'headers' | 'methods';

export interface BadRequest {
  kind: Kind;
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  mayBeAccepted?: boolean;
}

export interface Context {
  token: string;
  adminToken: string;
  reminderId: string; // the caller's own reminder, to edit badly
  codings: { gzip: (b: Buffer) => Buffer; br: (b: Buffer) => Buffer };
}

const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const CJK21 = '一二三四五六七八九十一二三四五六七八九十一'; // one more than a thing field holds
const future = () => Date.now() + 3_600_000;

// Bad values per field, each invalid for that field whatever the rest of the body.
const TYPES = [null, true, 5, -1, 1.5, [], {}, ['x'], { a: 1 }];
const TEXT_BAD = ['x\u0000y', '\u001b[31m', 'a\u007f', 'b\u0085', '\ud800', 'x\udfff', '\udc00\ud800'];
const FIELDS: Record<string, unknown[]> = {
  title: [...TYPES, '', '   ', 'x'.repeat(101), CJK21, 'two\nlines', ...TEXT_BAD],
  detail: [...TYPES, 'x'.repeat(501), CJK21, 'a\r\nb', ...TEXT_BAD],
  at: [
    ...TYPES,
    '',
    'tomorrow',
    '2026-01-01',
    '08:30',
    1e20,
    'x\ud800',
    Date.now() - 1,
    Date.now() + 400 * 86_400_000,
  ],
  repeat: [
    5,
    'daily',
    [],
    {},
    { daily: '25:00' },
    { daily: 8 },
    { daily: '8:30' },
    { cron: '61 * * * *' },
    { cron: 'H 8 * * *' },
    { cron: '* * * * * *' },
    { cron: 'x'.repeat(200) },
    { cron: '0 8 31 2 *' },
    { daily: '08:00', cron: '0 8 * * *' },
    { weekly: 'mon' },
    { daily: '08:00\u0000' },
  ],
  templateId: [...TYPES, '', 'no-such-template', 'x'.repeat(129), 'a\u0000', '\ud800'],
  page: [...TYPES, 'x'.repeat(257), 'pages/\u0000', '\ud800'],
  data: [
    5,
    'x',
    [],
    { thing1: 5 },
    { thing1: 'x'.repeat(201) },
    { 'Bad Key': 'x' },
    { thing9: 'x' },
    { thing1: '\u0000' },
    { thing1: CJK21 },
  ],
  extra: [1, 'x', null],
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

export function badRequests(ctx: Context): BadRequest[] {
  const out: BadRequest[] = [];
  const auth = { Authorization: `Bearer ${ctx.token}` };
  const admin = { Authorization: `Bearer ${ctx.adminToken}` };
  const add = (r: Omit<BadRequest, 'headers'> & { headers?: Record<string, string> }) =>
    out.push({ headers: {}, ...r });
  const postJson = (
    kind: Kind,
    label: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = auth,
    method = 'POST',
  ) =>
    add({
      kind,
      label,
      method,
      path,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: json(body),
    });
  const kindOf = (field: string, value: unknown): Kind =>
    // eslint-disable-next-line no-control-regex -- the unicode cases are the control characters
    typeof value === 'string' && /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/.test(value)
      ? 'unicode'
      : field === 'at'
        ? 'dates'
        : typeof value === 'string' && value.length > 100
          ? 'sizes'
          : 'types';

  // Every field of the create, the edit (PATCH and PUT) and the original client's create.
  for (const [field, values] of Object.entries(FIELDS)) {
    for (const value of values) {
      const body = { title: 't', at: future(), [field]: value };
      postJson(kindOf(field, value), `create ${field}`, '/api/reminders', body);
      postJson(
        kindOf(field, value),
        `patch ${field}`,
        `/api/reminders/${ctx.reminderId}`,
        { [field]: value },
        auth,
        'PATCH',
      );
      if (field === 'title' || field === 'extra')
        postJson(kindOf(field, value), `legacy ${field}`, '/api/reminder', {
          title: 't',
          reminderTime: future(),
          [field]: value,
        });
    }
  }
  for (const [field, values] of Object.entries({
    time: [...TYPES, 'x'.repeat(101), CJK21, ...TEXT_BAD],
    reminderTime: [...TYPES, '', 'soon', Date.now() - 1, 1e20],
    enableSubscribe: ['yes', 5, [], {}],
    openid: [5, 'x'.repeat(65), '\u0000'],
  })) {
    for (const value of values)
      postJson(kindOf(field, value), `legacy ${field}`, '/api/reminder', {
        title: 't',
        reminderTime: future(),
        [field]: value,
      });
  }
  postJson('types', 'put empty', `/api/reminders/${ctx.reminderId}`, {}, auth, 'PUT');

  // Promises: every field, and types that do not exist.
  for (const [field, values] of Object.entries({
    cid: [null, true, [], {}, 1.5, 'x'.repeat(65), ...TEXT_BAD],
    hour: [null, -1, 24, 1.5, 'eight', [], true],
    min: [null, -1, 60, 0.5, 'zero', {}],
    detail: [5, [], 'x'.repeat(501), CJK21, ...TEXT_BAD],
    timezone: [5, '', 'Mars/Base', 'UTC+8', 'local', 'x'.repeat(65)],
    extra: [1],
  })) {
    for (const value of values) {
      const kind = field === 'timezone' && typeof value === 'string' ? 'zones' : kindOf(field, value);
      postJson(kind, `promise ${field}`, '/api/promises/give', { cid: 1, hour: 8, min: 0, [field]: value });
    }
  }
  for (const type of ['steal', '2', 'GIVE', 'give%00', '%ED%A0%80', 'x'.repeat(300)])
    postJson('types', `promise type ${type.slice(0, 10)}`, `/api/promises/${type}`, {
      cid: 1,
      hour: 8,
      min: 0,
    });

  // Zones: unknown names in many spellings, valid names on bodies that are otherwise bad.
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'UTC', 'Etc/GMT-8'];
  for (let i = 0; i < 120; i++) {
    const zone = zones[i % zones.length] ?? 'UTC';
    const spelled = [...zone].map((c, j) => ((i >> j) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
    postJson('zones', 'zone spelling, past at', '/api/reminders', {
      title: 't',
      at: Date.now() - 1000,
      timezone: spelled,
    });
    postJson('zones', 'unknown zone', '/api/reminders', {
      title: 't',
      repeat: { daily: '08:00' },
      timezone: `${spelled}x${i}`,
    });
  }
  for (const timezone of [
    '',
    ' Asia/Shanghai',
    'Asia/Shanghai\u0000',
    'asia\\shanghai',
    '../../etc/passwd',
    'GMT+08:00',
    'Z',
    'CST',
    'Beijing',
    'x'.repeat(5000),
  ])
    postJson('zones', 'bad zone', '/api/reminders', { title: 't', repeat: { daily: '08:00' }, timezone });

  // Dates that do not exist, and times that are not times.
  for (const at of [
    '2027-02-29T08:00+08:00',
    '2027-02-30T08:00+08:00',
    '2027-04-31T08:00:00Z',
    '2027-13-01T08:00Z',
    '2027-00-01T08:00Z',
    '2027-01-00T08:00Z',
    '2027-01-01T24:00Z',
    '2027-01-01T23:60Z',
    '2027-01-01T23:59:60Z',
    '2027-01-01T08:00+24:00',
    '2027-01-01T08:00+08:60',
    '2027-01-01t08:00z',
    '2027-1-1T08:00Z',
    '+2027-01-01T08:00Z',
    '2027-01-01T08:00',
    '2027-01-01 08:00+08:00',
    '9999-12-31T23:59Z',
    '0000-01-01T00:00Z',
  ]) {
    postJson('dates', `at ${at}`, '/api/reminders', { title: 't', at });
    postJson('dates', `patch at ${at}`, `/api/reminders/${ctx.reminderId}`, { at }, auth, 'PATCH');
  }

  // Login: codes that are not codes.
  for (const code of [null, 5, true, [], {}, '', '   ', 'x'.repeat(129), ...TEXT_BAD])
    postJson(kindOf('code', code), 'login code', '/api/login', { code }, {});
  postJson('types', 'login extra', '/api/login', { code: 'a', extra: 1 }, {});
  postJson('types', 'login array', '/api/login', [{ code: 'a' }], {});

  // Subscriptions: shapes that are wrong, and reports that must count for nothing.
  for (const body of [
    {},
    { results: {} },
    { results: 'accept' },
    { results: [] },
    { results: { [T1]: 'maybe' } },
    { results: { [T1]: 5 } },
    { results: { 'not a template!': 'accept' } },
    { results: { [T1]: 'accept' }, [T1]: 'accept' },
    { results: Object.fromEntries([...Array(11).keys()].map((i) => [`t${i}`, 'accept'])) },
    { errMsg: 5, [T1]: 'accept' },
    { errMsg: 'x'.repeat(201), [T1]: 'accept' },
    { errMsg: 'ok\u0000', [T1]: 'accept' },
    { errCode: 'x', [T1]: 'accept' },
  ])
    postJson('types', 'subscriptions shape', '/api/subscriptions', body);
  for (let i = 0; i < 20; i++) {
    const unknown = Object.fromEntries([...Array(10).keys()].map((j) => [`made-up-${i}-${j}`, 'accept']));
    out.push({
      kind: 'types',
      label: 'unknown templates',
      method: 'POST',
      path: '/api/subscriptions',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: json({ errMsg: 'requestSubscribeMessage:ok', ...unknown }),
      mayBeAccepted: true,
    });
  }
  out.push({
    kind: 'types',
    label: 'failed popup',
    method: 'POST',
    path: '/api/subscriptions',
    headers: { 'Content-Type': 'application/json', ...auth },
    body: json({ errMsg: 'requestSubscribeMessage:fail', errCode: 20004, [T1]: 'accept' }),
    mayBeAccepted: true,
  });

  // Queries: lists, ids, admin stats, the push verification.
  for (const query of [
    'status=nope',
    'status=',
    'cursor=abc',
    'cursor=-1',
    'cursor=1234567890123456',
    'limit=0',
    'limit=101',
    'limit=x',
    'limit=1.5',
    'status=pending&status=sent',
    'openid=%00',
    'openid=%ED%A0%80',
    `openid=${'x'.repeat(65)}`,
  ])
    add({
      kind: query.includes('%') ? 'unicode' : 'types',
      label: `list ${query}`,
      method: 'GET',
      path: `/api/reminders?${query}`,
      headers: auth,
      // Percent-encoded bytes that are not UTF-8 decode to U+FFFD (Node's querystring); openid is
      // ignored anyway (the session decides), so such a list is answered like any other.
      mayBeAccepted: query === 'openid=%ED%A0%80',
    });
  for (const id of ['abc', '-1', '1.5', '1234567890123456', '%00', '%ED%A0%80', '1%2F2', 'x'.repeat(300)]) {
    for (const method of ['GET', 'DELETE'])
      add({
        kind: id.includes('%') ? 'unicode' : 'types',
        label: `id ${method}`,
        method,
        path: `/api/reminders/${id}`,
        headers: auth,
      });
    add({
      kind: 'types',
      label: 'legacy delete id',
      method: 'DELETE',
      path: `/api/reminder/${id}`,
      headers: auth,
    });
  }
  add({
    kind: 'types',
    label: 'someone else’s id',
    method: 'GET',
    path: '/api/reminders/999999999',
    headers: auth,
  });
  for (const query of ['days=0', 'days=367', 'days=x', 'days=-1', 'days=1.5', 'days=', 'days=1&days=2'])
    add({
      kind: 'types',
      label: `stats ${query}`,
      method: 'GET',
      path: `/api/admin/stats?${query}`,
      headers: admin,
    });
  for (const query of [
    '',
    'signature=x',
    'signature=x&timestamp=y&nonce=z&echostr=1',
    'signature=x&timestamp=1&nonce=bad%20nonce&echostr=1',
    `signature=x&timestamp=1&nonce=n&echostr=${'e'.repeat(600)}`,
    'signature=0000&timestamp=1714036504&nonce=1514711492&echostr=1',
  ])
    add({ kind: 'types', label: 'push verification', method: 'GET', path: `/api/wx/message?${query}` });

  // The push URL: bad signatures, broken bodies, wrong types (each refused before anything is kept).
  for (const body of [
    '<xml>',
    '<xml><ToUserName>x</ToUserName></xml>',
    '{"MsgType":',
    '\u0000',
    '<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>',
  ])
    add({
      kind: 'types',
      label: 'push forged',
      method: 'POST',
      path: '/api/wx/message?signature=00&timestamp=1&nonce=n1',
      headers: { 'Content-Type': 'text/xml' },
      body: Buffer.from(body),
    });
  add({
    kind: 'types',
    label: 'push no query',
    method: 'POST',
    path: '/api/wx/message',
    headers: { 'Content-Type': 'text/xml' },
    body: Buffer.from('<xml/>'),
  });

  // Encodings, content types and malformed JSON on every route that reads a body.
  const bodyRoutes: [string, string, Record<string, string>, string][] = [
    ['POST', '/api/login', {}, 'application/json'],
    ['POST', '/api/reminders', auth, 'application/json'],
    ['PATCH', `/api/reminders/${ctx.reminderId}`, auth, 'application/json'],
    ['PUT', `/api/reminders/${ctx.reminderId}`, auth, 'application/json'],
    ['POST', '/api/reminder', auth, 'application/json'],
    ['POST', '/api/promises/give', auth, 'application/json'],
    ['POST', '/api/subscriptions', auth, 'application/json'],
    ['POST', 'PUSH', {}, 'text/xml'],
  ];
  const badTitle = Buffer.from('{"title":"","code":"","cid":[],"results":{}}');
  const encodings: [string, Record<string, string>, Buffer][] = [
    ['gzip garbage', { 'Content-Encoding': 'gzip' }, Buffer.from('not gzip at all')],
    ['deflate garbage', { 'Content-Encoding': 'deflate' }, Buffer.from('not deflate')],
    ['br garbage', { 'Content-Encoding': 'br' }, Buffer.from('\u00ff\u00fe not brotli')],
    ['truncated gzip', { 'Content-Encoding': 'gzip' }, ctx.codings.gzip(badTitle).subarray(0, 12)],
    ['gzip, gzip', { 'Content-Encoding': 'gzip, gzip' }, ctx.codings.gzip(ctx.codings.gzip(badTitle))],
    ['unknown coding', { 'Content-Encoding': 'compress' }, badTitle],
    ['made-up coding', { 'Content-Encoding': 'x-zstd-ish' }, badTitle],
    ['zstd', { 'Content-Encoding': 'zstd' }, badTitle],
    ['gzip bomb', { 'Content-Encoding': 'gzip' }, ctx.codings.gzip(Buffer.alloc(2 * 1024 * 1024, 0x20))],
    ['br bomb', { 'Content-Encoding': 'br' }, ctx.codings.br(Buffer.alloc(2 * 1024 * 1024, 0x20))],
    ['charset latin1', { 'Content-Type-Charset': 'latin1' }, badTitle],
    ['charset utf-16', { 'Content-Type-Charset': 'utf-16' }, badTitle],
    ['not UTF-8', {}, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])],
    ['BOM first', {}, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), badTitle])],
    ['text/plain', { 'Content-Type': 'text/plain' }, badTitle],
    ['form', { 'Content-Type': 'application/x-www-form-urlencoded' }, Buffer.from('code=x')],
    ['no type', { 'Content-Type': '' }, badTitle],
    ['open brace', {}, Buffer.from('{')],
    ['null', {}, Buffer.from('null')],
    ['number', {}, Buffer.from('42')],
    ['string', {}, Buffer.from('"x"')],
    ['trailing', {}, Buffer.from('{"a":1}}')],
    ['proto', {}, Buffer.from('{"__proto__":{"admin":true}}')],
    ['nested proto', {}, Buffer.from('{"data":{"x":{"__proto__":1}}}')],
    ['65 KiB', {}, json({ title: 'x'.repeat(65 * 1024) })],
    ['10,000 deep', {}, Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`)],
    ['5,000 keys', {}, json(Object.fromEntries([...Array(5000).keys()].map((i) => [`k${i}`, i])))],
  ];
  for (const [method, route, headers, type] of bodyRoutes) {
    for (const [label, extra, body] of encodings) {
      const { 'Content-Type-Charset': charset, ...rest } = extra;
      const contentType = rest['Content-Type'] ?? (charset ? `${type}; charset=${charset}` : type);
      // A forged signature: whichever the push URL checks first, the body or the signature, the
      // answer is a 4xx and no nonce is kept.
      const path =
        route === 'PUSH'
          ? `/api/wx/message?signature=00&timestamp=${Math.floor(Date.now() / 1000)}&nonce=b${out.length}`
          : route;
      const kind: Kind = /KiB|deep|keys|bomb/.test(label)
        ? 'sizes'
        : /UTF|BOM|charset/.test(label)
          ? 'unicode'
          : 'encodings';
      const all: Record<string, string> = { ...headers, ...rest, 'Content-Type': contentType };
      if (contentType === '') delete all['Content-Type'];
      add({ kind, label, method, path, headers: all, body });
    }
  }

  // Headers: credentials and keys that are wrong.
  const authRoutes: [string, string][] = [
    ['GET', '/api/reminders'],
    ['POST', '/api/reminders'],
    ['GET', `/api/reminders/${ctx.reminderId}`],
    ['POST', '/api/promises/give'],
    ['POST', '/api/subscriptions'],
    ['GET', '/api/subscriptions'],
    ['GET', '/api/admin/stats'],
    ['POST', '/api/admin/jobs/reload'],
  ];
  for (const [method, path] of authRoutes) {
    for (const header of [
      '',
      'Bearer',
      'Basic YWxhZGRpbjpvcGVu',
      `Bearer ${'x'.repeat(600)}`,
      `Bearer ${'A'.repeat(43)}`,
      'Bearer  two  spaces',
      `Bearer ${ctx.token}x`,
      'bearer lowercase-token-xxxxxxxx',
    ])
      add({
        kind: 'headers',
        label: `auth ${header.slice(0, 12)}`,
        method,
        path,
        headers: header ? { Authorization: header, 'Content-Type': 'application/json' } : {},
        body: method === 'POST' ? Buffer.from('{}') : undefined,
      });
  }
  for (const key of ['has spaces', 'x'.repeat(129), 'ü', 'a/b', '<script>'])
    postJson(
      'headers',
      `idempotency ${key.slice(0, 8)}`,
      '/api/reminders',
      { title: 't', at: Date.now() - 1 },
      { ...auth, 'Idempotency-Key': key },
    );
  for (const id of ['x'.repeat(200), 'a b', '\u00e9'])
    postJson(
      'headers',
      'request id',
      '/api/reminders',
      { title: '' },
      { ...auth, 'X-Request-Id': id === '\u00e9' ? 'e' : id },
    );

  // Methods: what no route takes, and what the route does not take.
  const paths = [
    '/api/login',
    '/api/reminders',
    `/api/reminders/${ctx.reminderId}`,
    '/api/reminder',
    '/api/promises/give',
    '/api/subscriptions',
    '/api/health',
    '/metrics',
    '/api/admin/stats',
    '/api/wx/message',
    '/nothing',
  ];
  for (const path of paths) {
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'LOCK', 'PURGE', 'SEARCH', 'REPORT'])
      add({ kind: 'methods', label: method, method, path, headers: auth });
  }
  for (const [method, path] of [
    ['DELETE', '/api/login'],
    ['PUT', '/api/login'],
    ['GET', '/api/login'],
    ['PATCH', '/api/reminders'],
    ['DELETE', '/api/reminders'],
    ['POST', `/api/reminders/${ctx.reminderId}`],
    ['GET', '/api/promises/give'],
    ['PUT', '/api/subscriptions'],
    ['POST', '/api/health'],
    ['DELETE', '/metrics'],
    ['PUT', '/api/wx/message'],
  ] as const)
    add({ kind: 'methods', label: method, method, path, headers: auth });

  return out;
}
