import {
  createClient,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  TimeoutError,
  type RedisArgument,
} from 'redis';
import {
  redisLoading,
  redisOutOfMemory,
  redisReadOnly,
  redisUnavailable,
  type ServiceUnavailableError,
} from '../errors';
import type { Logger } from '../logger';

export type Redis = ReturnType<typeof createRedisClient>;

/** REDIS_COMMAND_TIMEOUT_MS's default, for callers without a config (scripts, drills). */
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

export interface RedisOptions {
  commandTimeoutMs?: number; // a command unanswered this long fails (RedisCommandTimeoutError), default 2000
}

/** Redis did not answer a command in time: it is stalled (paused, swapping, a long script) or the network is. */
export class RedisCommandTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    // The command's name only: its arguments hold session tokens and user data.
    super(`Redis did not answer ${command} within ${timeoutMs} ms`);
    this.name = 'RedisCommandTimeoutError';
  }
}

function createRedisClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    // Off: node-redis's own timeout only covers a command not yet written (withReplyDeadline covers
    // that too), and the AbortSignal.timeout it arms per command costs ~10 µs of CPU, 3-4x a GET.
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  });
}

/**
 * Creates and connects a client. Commands fail at once while the connection is down (no offline
 * queue), and after `commandTimeoutMs` when Redis does not answer, so callers answer 503 instead
 * of hanging; the client reconnects by itself forever.
 */
export async function connectRedis(
  url: string,
  logger: Logger,
  name = 'redis',
  options: RedisOptions = {},
): Promise<Redis> {
  const client = withReplyDeadline(
    createRedisClient(url),
    options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
  );
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ client: name, err: err.message }, 'redis connection lost; reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ client: name }, 'redis connection restored');
    down = false;
  });
  await client.connect();
  return client;
}

/**
 * Fails every command Redis has not answered within `timeoutMs`. node-redis 6 has no such option:
 * its `commandOptions.timeout` is dropped once the command is written to the socket
 * (redis/node-redis#3008), and a stalled server (SIGSTOP, a frozen VM) keeps the socket open and
 * answers nothing, so a request would wait forever. The command queue is the one funnel of single
 * commands, scripts, MULTI, pipelines and the connection handshake. The command itself stays
 * queued: its late reply arrives in order and is dropped, so a write answered 503 may still be
 * applied when Redis resumes (clients retry creates with an Idempotency-Key).
 */
function withReplyDeadline(client: Redis, timeoutMs: number): Redis {
  const queue = client._getQueue();
  const addCommand = queue.addCommand.bind(queue);
  queue.addCommand = function addCommandWithDeadline<T>(
    args: ReadonlyArray<RedisArgument>,
    options?: Parameters<typeof addCommand>[1],
  ): Promise<T> {
    const reply = addCommand<T>(args, options);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RedisCommandTimeoutError(String(args[0]).toUpperCase(), timeoutMs)),
        timeoutMs,
      );
      timer.unref();
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };
  // The scheduler's subscriber and reload listeners are duplicates: same deadline.
  const duplicate = client.duplicate.bind(client);
  // The duplicate's type widens its generics; it is the same kind of client as ours.
  client.duplicate = ((...args: Parameters<typeof duplicate>) =>
    withReplyDeadline(duplicate(...args) as unknown as Redis, timeoutMs)) as typeof client.duplicate;
  return client;
}

/**
 * Why Redis cannot serve a command right now, or undefined when the error is not one of those:
 * `unreachable` (no connection), `timeout` (no answer in time), `loading` (restarted, reading its
 * AOF/RDB: LOADING), `out_of_memory` (maxmemory reached with noeviction: OOM, writes refused),
 * `read_only` (writes refused: a replica answering READONLY, or MISCONF when it cannot persist).
 */
export type RedisFault = 'unreachable' | 'timeout' | 'loading' | 'out_of_memory' | 'read_only';

export function redisFault(err: unknown): RedisFault | undefined {
  if (err instanceof RedisCommandTimeoutError || err instanceof TimeoutError) return 'timeout';
  if (
    err instanceof ClientClosedError ||
    err instanceof ClientOfflineError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof DisconnectsClientError
  ) {
    return 'unreachable';
  }
  if (err instanceof ErrorReply) {
    // An error reply's first word is its code, the only structured part Redis gives it (a
    // script's OOM carries the script's sha after it; MULTI rejects with the queued command's).
    const code = err.message.split(' ', 1)[0];
    if (code === 'LOADING') return 'loading';
    if (code === 'OOM') return 'out_of_memory';
    if (code === 'READONLY' || code === 'MISCONF') return 'read_only';
    return undefined;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' ? 'unreachable' : undefined;
}

/** True for the errors that mean "Redis cannot serve this right now" (→ 503, retry later). */
export function isRedisUnavailable(err: unknown): boolean {
  return redisFault(err) !== undefined;
}

/** The client-facing 503 for a Redis fault (the error middleware's one translation), else undefined. */
export function redisUnavailableError(err: unknown): ServiceUnavailableError | undefined {
  switch (redisFault(err)) {
    case undefined:
      return undefined;
    case 'loading':
      return redisLoading({ cause: err });
    case 'out_of_memory':
      return redisOutOfMemory({ cause: err });
    case 'read_only':
      return redisReadOnly({ cause: err });
    default:
      return redisUnavailable({ cause: err });
  }
}

// A script with a shebang and no flags counts as a write for Redis ≥ 7, so Redis refuses it
// exactly as it would refuse our writes (LOADING, OOM), yet it touches no key and leaves nothing
// in the AOF. Redis < 7 cannot compile it: PING is the fallback there (OOM then goes unseen).
const WRITE_PROBE = '#!lua\nreturn 1';

/** Resolves when Redis would take a write now; rejects with the reason it would not. */
export async function probeWritable(redis: Redis): Promise<void> {
  try {
    await redis.eval(WRITE_PROBE, { keys: [], arguments: [] });
  } catch (err) {
    if (!(err instanceof ErrorReply) || !err.message.includes('Error compiling script')) throw err;
    await redis.ping();
  }
}

/** Closes a client we created; tolerates one that is already closed or disconnected. */
export async function closeRedis(client: Redis): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}
