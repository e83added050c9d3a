import { appendFileSync } from 'node:fs';

/**
 * The slot audit: an opt-in check (env TIXING_SLOT_AUDIT = a file to append JSON lines to) that
 * every Lua script's keys are declared in KEYS and hash to one cluster slot, and that no command
 * (a MULTI's included) is refused as cross-slot. Off in production: it costs a stack per command.
 * The tests turn it on and run against a Redis in cluster mode, which refuses cross-slot MULTIs
 * and multi-key commands itself (test/support/global-setup.ts, test/cluster/slot-audit.test.ts).
 */
export const SLOT_AUDIT_ENV = 'TIXING_SLOT_AUDIT';

// Read once: every script call asks, and process.env is a lookup outside JavaScript each time.
let auditFile: { file: string | undefined } | undefined;

export function slotAuditFile(): string | undefined {
  return (auditFile ??= { file: process.env[SLOT_AUDIT_ENV] || undefined }).file;
}

/** Turns the audit on (a file) or off in this process and in the processes it starts from now on. */
export function setSlotAudit(file: string | undefined): void {
  if (file) process.env[SLOT_AUDIT_ENV] = file;
  else delete process.env[SLOT_AUDIT_ENV];
  auditFile = { file };
}

export type SlotAuditEntry =
  | { kind: 'ran'; script: string } // a script ran (the audit's coverage)
  | { kind: 'script'; script: string; keys: string[]; slots: number[]; reason: string; at: string }
  | { kind: 'command'; command: string; args: string[]; reason: string; at: string }
  | { kind: 'multi'; commands: string[]; keys: string[]; slots: number[]; reason: string; at: string };

const ran = new Set<string>();

export function recordSlotAudit(entry: SlotAuditEntry): void {
  const file = slotAuditFile();
  if (!file) return;
  if (entry.kind === 'ran') {
    if (ran.has(entry.script)) return;
    ran.add(entry.script);
  }
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** The first lines of a stack that are ours (not node-redis, not this module): where a command came from. */
export function callSite(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter(
      (line) => !line.includes('node_modules') && !line.includes('slot-audit') && !line.includes('node:'),
    )
    .filter((line) => !line.includes('/store/redis.') && !line.includes('/store/lua-script.'))
    .slice(0, 3)
    .join(' < ');
}

// CRC16-CCITT (XMODEM), the hash Redis Cluster maps keys to its 16384 slots with.
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  return crc;
}

/** The cluster slot of a key: only the part inside the first non-empty `{…}` counts, when there is one. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) & 16383;
  }
  return crc16(bytes) & 16383;
}

/** The distinct slots of `keys`, in first-seen order. */
export function slotsOf(keys: readonly string[]): number[] {
  return [...new Set(keys.map(keySlot))];
}

/** Where undeclared script keys are counted (the Lua prelude cannot reach the file): a hash outside every prefix. */
export const UNDECLARED_KEYS_HASH = '__tixing_slot_audit_undeclared__';

/**
 * Lua put before an audited script's body: a local `redis` whose call/pcall count, in
 * UNDECLARED_KEYS_HASH, each key the script touches without declaring it in KEYS (a managed
 * cluster's proxy refuses it; Redis Cluster cannot route it). The script still runs, so one
 * offender does not hide the next. Every command our scripts use has its first key first; DEL and
 * EXISTS take only keys.
 */
export function undeclaredKeyPrelude(script: string): string {
  return `local __declared = {}
for _, k in ipairs(KEYS) do __declared[k] = true end
local __keyless = { PUBLISH = true, SPUBLISH = true, TIME = true, ECHO = true, PING = true }
local __allkeys = { DEL = true, EXISTS = true, UNLINK = true, TOUCH = true, MGET = true }
local __redis = redis
local function __check(...)
  local args = { ... }
  local name = string.upper(tostring(args[1]))
  if __keyless[name] then return end
  local last = __allkeys[name] and #args or 2
  for i = 2, last do
    if args[i] ~= nil and not __declared[args[i]] then
      __redis.call('HINCRBY', '${UNDECLARED_KEYS_HASH}', '${script}|' .. name .. '|' .. tostring(args[i]), 1)
    end
  end
end
local redis = setmetatable({
  call = function(...) __check(...) return __redis.call(...) end,
  pcall = function(...) __check(...) return __redis.pcall(...) end,
}, { __index = __redis })
`;
}

const KEYLESS = new Set(
  (
    'PING INFO PUBLISH SPUBLISH SUBSCRIBE SSUBSCRIBE UNSUBSCRIBE SUNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE ' +
    'SCAN SELECT CLIENT CLUSTER HELLO AUTH COMMAND CONFIG SCRIPT TIME DBSIZE FLUSHDB FLUSHALL MULTI ' +
    'EXEC DISCARD QUIT ECHO READONLY READWRITE RESET DEBUG REPLICAOF SLAVEOF WAIT FUNCTION SAVE BGSAVE ' +
    'LASTSAVE SHUTDOWN ROLE LATENCY SLOWLOG MEMORY UNWATCH'
  ).split(' '),
);
const ALL_KEYS = new Set(
  'DEL UNLINK EXISTS MGET TOUCH WATCH SUNION SINTER SDIFF SUNIONSTORE SINTERSTORE SDIFFSTORE'.split(' '),
);
const FIRST_TWO = new Set('RENAME RENAMENX SMOVE LMOVE BLMOVE RPOPLPUSH ZRANGESTORE COPY'.split(' '));

/** The keys of one command, by its name (the commands this codebase sends; unknown ones: the first argument). */
export function commandKeys(args: readonly string[]): string[] {
  const name = (args[0] ?? '').toUpperCase();
  const rest = args.slice(1);
  if (KEYLESS.has(name)) return [];
  if (ALL_KEYS.has(name)) return rest;
  if (FIRST_TWO.has(name)) return rest.slice(0, 2);
  if (name === 'MSET' || name === 'MSETNX') return rest.filter((_, i) => i % 2 === 0);
  if (/^(EVAL|EVALSHA|EVAL_RO|EVALSHA_RO|FCALL|FCALL_RO)$/.test(name))
    return rest.slice(2, 2 + Number(rest[1]));
  if (/^Z(UNION|INTER|DIFF)STORE$/.test(name)) return [rest[0] ?? '', ...rest.slice(2, 2 + Number(rest[1]))];
  if (/^(Z(UNION|INTER|DIFF)|SINTERCARD|ZINTERCARD|LMPOP|ZMPOP)$/.test(name))
    return rest.slice(1, 1 + Number(rest[0]));
  return rest.slice(0, 1);
}

/**
 * A pipeline is not atomic, but a cluster client sends all of it to its first key's node, so its
 * keys must share a slot too. node-redis queues a pipeline's commands in one synchronous loop:
 * the chain is forgotten on the next turn.
 */
function auditPipeline(pipelines: Map<symbol, Chain>, chainId: symbol, name: string, args: string[]): void {
  let chain = pipelines.get(chainId);
  if (!chain) {
    chain = { keys: [], commands: [], at: callSite(new Error().stack) };
    pipelines.set(chainId, chain);
    const done = chain;
    setImmediate(() => {
      pipelines.delete(chainId);
      const slots = slotsOf(done.keys);
      if (slots.length > 1) {
        recordSlotAudit({
          kind: 'multi',
          commands: done.commands,
          keys: done.keys,
          slots,
          reason: 'pipeline keys span slots',
          at: done.at,
        });
      }
    });
  }
  chain.commands.push(name);
  chain.keys.push(...commandKeys(args));
}

interface Chain {
  keys: string[];
  commands: string[];
  at: string;
}

/**
 * Watches a client's command queue: records a MULTI whose commands' keys span slots, and a single
 * command whose keys do (scripts are LuaScript's to check: it knows their names).
 */
export function commandAudit(): (rawArgs: ReadonlyArray<unknown>, chainId: symbol | undefined) => void {
  const chains = new Map<symbol, Chain>();
  const pipelines = new Map<symbol, Chain>();
  return (rawArgs, chainId) => {
    const args = rawArgs.map(String);
    const name = (args[0] ?? '').toUpperCase();
    const chain = chainId ? chains.get(chainId) : undefined;
    if (chainId && !chain && chainId.description === 'Pipeline Chain') {
      auditPipeline(pipelines, chainId, name, args);
    } else if (chainId && name === 'MULTI') {
      chains.set(chainId, { keys: [], commands: [], at: callSite(new Error().stack) });
    } else if (chain && chainId) {
      if (name === 'EXEC' || name === 'DISCARD') {
        chains.delete(chainId);
        const slots = slotsOf(chain.keys);
        if (slots.length > 1) {
          recordSlotAudit({
            kind: 'multi',
            commands: chain.commands,
            keys: chain.keys,
            slots,
            reason: 'MULTI keys span slots',
            at: chain.at,
          });
        }
      } else {
        chain.commands.push(name);
        chain.keys.push(...commandKeys(args));
      }
    } else if (!name.startsWith('EVAL')) {
      const keys = commandKeys(args);
      const slots = slotsOf(keys);
      if (slots.length > 1) {
        recordSlotAudit({
          kind: 'command',
          command: name,
          args: keys,
          reason: 'keys span slots',
          at: callSite(new Error().stack),
        });
      }
    }
  };
}
