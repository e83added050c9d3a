/**
 * The sandbox's `wxa/getwxacodeunlimit` (docs/wechat.md, WeChat's 小程序码): the request shape
 * and errcodes of the real API, and a real PNG — a QR-like pattern derived from the scene and
 * page, so each scene has its own image and the same scene always the same one.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { errorBody } from './replies';
import type { ApiRequest, ApiState, Reply } from './wechat-api';

/** One image made, oldest first in `WxaCodes.calls`. */
export interface WxaCodeCall {
  scene: string;
  page: string | null;
  envVersion: string;
  width: number;
  at: number; // sandbox clock, ms
}

// WeChat: scene ≤ 32 visible characters from 0-9 a-z A-Z !#$&'()*+,/:;=?@-._~
const SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
const PAGE = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/; // `pages/group/join`: no leading slash, no query
const ENV_VERSIONS = new Set(['release', 'trial', 'develop']);
const DEFAULT_WIDTH = 430; // WeChat's default, px
const MODULES = 29; // a version-3 QR code's size
const QUIET = 2; // modules of white around the pattern

export class WxaCodes {
  /** Every image made since the last reset. */
  readonly calls: WxaCodeCall[] = [];

  reset(): void {
    this.calls.length = 0;
  }

  /** POST /wxa/getwxacodeunlimit?access_token= */
  handle(state: ApiState, req: ApiRequest): Reply {
    const fail = (errcode: number, detail?: string): Reply => ({
      status: 200,
      body: errorBody(errcode, state.now(), detail),
    });
    if (req.method !== 'POST') return fail(43002);
    const token = req.url.searchParams.get('access_token');
    if (!token) return fail(41001);
    const verdict = state.tokens.verify(token);
    if (verdict !== 'ok') return fail(verdict);
    if (state.faults.quotaExceeded) return fail(45009);
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return fail(47001);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(47001);
    const {
      scene,
      page,
      check_path: checkPath,
      env_version: envVersion,
      width,
    } = body as Record<string, unknown>;
    if (typeof scene !== 'string' || !SCENE.test(scene)) return fail(40169);
    if (page !== undefined && (typeof page !== 'string' || !PAGE.test(page))) return fail(41030);
    if (checkPath !== undefined && typeof checkPath !== 'boolean') return fail(40097, 'hint: check_path');
    if (envVersion !== undefined && (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion))) {
      return fail(40097, 'hint: env_version must be release, trial or develop');
    }
    if (width !== undefined && (typeof width !== 'number' || !Number.isFinite(width))) {
      return fail(40097, 'hint: width');
    }
    // WeChat keeps the width within 280–1280 px.
    const px = Math.round(Math.min(1280, Math.max(280, typeof width === 'number' ? width : DEFAULT_WIDTH)));
    const onPage = typeof page === 'string' ? page : null;
    this.calls.push({
      scene,
      page: onPage,
      envVersion: typeof envVersion === 'string' ? envVersion : 'release',
      width: px,
      at: state.now(),
    });
    return { status: 200, body: codeImage(`${onPage ?? ''}\n${scene}`, px), contentType: 'image/png' };
  }
}

/** A `size`×`size` grayscale PNG of a QR-like pattern (finders, timing, data modules) for `seed`. */
export function codeImage(seed: string, size: number): Buffer {
  const modules = pattern(seed);
  const span = MODULES + 2 * QUIET;
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(size + 1, 255); // filter byte 0 (none), then one byte per pixel
    row[0] = 0;
    const my = Math.floor((y * span) / size) - QUIET;
    for (let x = 0; x < size; x++) {
      const mx = Math.floor((x * span) / size) - QUIET;
      if (modules(mx, my)) row[x + 1] = 0;
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, grayscale, deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Whether module (x, y) is dark: three finder patterns, timing lines, hashed data bits. */
function pattern(seed: string): (x: number, y: number) => boolean {
  const bits: number[] = [];
  for (let i = 0; bits.length < MODULES * MODULES; i++) {
    for (const byte of createHash('sha256').update(`${i}\0${seed}`).digest()) {
      for (let b = 7; b >= 0; b--) bits.push((byte >> b) & 1);
    }
  }
  const finder = (x: number, y: number): boolean | null => {
    for (const [ox, oy] of [
      [0, 0],
      [MODULES - 7, 0],
      [0, MODULES - 7],
    ] as const) {
      const dx = x - ox;
      const dy = y - oy;
      if (dx >= -1 && dx <= 7 && dy >= -1 && dy <= 7) {
        if (dx < 0 || dy < 0 || dx > 6 || dy > 6) return false; // the white separator
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
        return ring !== 2; // dark outer ring and 3×3 centre, white ring between
      }
    }
    return null;
  };
  return (x, y) => {
    if (x < 0 || y < 0 || x >= MODULES || y >= MODULES) return false;
    const f = finder(x, y);
    if (f !== null) return f;
    if (x === 6 || y === 6) return (x + y) % 2 === 0; // timing patterns
    return bits[y * MODULES + x] === 1;
  };
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed), 0);
  return Buffer.concat([length, typed, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks carry it (ISO 3309; zlib.crc32 is newer than Node 20.0). */
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
