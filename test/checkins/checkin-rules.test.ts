import { codeAt, haversineM, judgeCode, stepOf } from '../../src/domain/checkin';
import { PLACES } from './checkin-helpers';

/** The pure rules of src/domain/checkin.ts: distances by haversine, codes as TOTP. */
describe('haversineM', () => {
  it('measures real distances between real places', () => {
    const beijing = { lat: 39.9042, lng: 116.4074 }; // 北京市政府
    const shanghai = { lat: 31.2304, lng: 121.4737 }; // 上海市政府
    expect(haversineM(beijing, shanghai) / 1000).toBeCloseTo(1067.3, 0);
    const tiananmen = { lat: 39.9087, lng: 116.3975 };
    const forbiddenCityNorthGate = { lat: 39.9222, lng: 116.3972 }; // 神武门, due north
    expect(haversineM(tiananmen, forbiddenCityNorthGate)).toBeCloseTo(1501, -1);
    expect(haversineM(tiananmen, tiananmen)).toBe(0);
  });

  it('puts the test places 100 m and 2 km from the room', () => {
    expect(Math.round(haversineM(PLACES.room, PLACES.near))).toBe(100);
    expect(Math.round(haversineM(PLACES.room, PLACES.far))).toBe(2000);
  });

  it('is symmetric and works across the antimeridian and at the poles', () => {
    const a = { lat: 10, lng: 179.9 };
    const b = { lat: 10, lng: -179.9 };
    expect(haversineM(a, b)).toBeCloseTo(haversineM(b, a), 6);
    expect(haversineM(a, b)).toBeLessThan(25_000);
    expect(haversineM({ lat: 90, lng: 0 }, { lat: -90, lng: 0 }) / 1000).toBeCloseTo(20_015.1, 0);
  });
});

describe('codeAt: TOTP with HMAC-SHA-256, 30-s steps, 6 digits', () => {
  // RFC 6238 appendix B, SHA-256 seed; the RFC prints 8 digits, a 6-digit code is their last 6.
  const seed = Buffer.from('12345678901234567890123456789012', 'ascii').toString('hex');
  it.each([
    [59, '119246'],
    [1_111_111_109, '084774'],
    [1_111_111_111, '062674'],
    [1_234_567_890, '819424'],
    [2_000_000_000, '698825'],
    [20_000_000_000, '737706'],
  ])('at %i s gives the RFC 6238 code %s', (seconds, code) => {
    expect(codeAt(seed, stepOf(seconds * 1000))).toBe(code);
  });
});

describe('judgeCode', () => {
  const secret = 'ab'.repeat(20);
  const start = 1_800_000_000 * 1000 - ((1_800_000_000 * 1000) % 30_000); // a step boundary
  const step = stepOf(start);
  it('accepts this step’s code, and the previous one for 10 s', () => {
    expect(judgeCode(secret, codeAt(secret, step), start + 29_999)).toBe('ok');
    expect(judgeCode(secret, codeAt(secret, step - 1), start + 9_999)).toBe('ok');
    expect(judgeCode(secret, codeAt(secret, step - 1), start + 10_000)).toBe('stale');
    expect(judgeCode(secret, codeAt(secret, step - 5), start)).toBe('stale');
    expect(judgeCode(secret, codeAt(secret, step + 1), start)).toBe('wrong'); // never a future one
    expect(judgeCode('cd'.repeat(20), codeAt(secret, step), start)).toBe('wrong'); // another check-in's
  });
});
