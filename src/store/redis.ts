import {
  createClient,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';
import type { Logger } from '../logger';

export type Redis = ReturnType<typeof createRedisClient>;

function createRedisClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  });
}

/**
 * Creates and connects a client. Commands fail at once while the connection is down (no offline
 * queue), so callers answer 503 instead of hanging; the client reconnects by itself forever.
 */
export async function connectRedis(url: string, logger: Logger, name = 'redis'): Promise<Redis> {
  const client = createRedisClient(url);
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

/** True for the errors that mean "Redis is not reachable right now" (→ 503, retry later). */
export function isRedisUnavailable(err: unknown): boolean {
  if (
    err instanceof ClientClosedError ||
    err instanceof ClientOfflineError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof TimeoutError
  ) {
    return true;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
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
