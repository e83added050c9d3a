import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config';
import { RedisServer, embeddedRedisUrlFile } from './infra/redis-server';
import { Instance } from './instance';
import { createLogger } from './logger';
import { WeChatSandbox } from './sandbox/wechat-sandbox';
import { closeRedis, connectRedis } from './store/redis';

const SANDBOX_APPID = 'wx0000000000000000';
const DRAIN_TIMEOUT_MS = 10_000; // how long a stop waits for in-flight sends

/**
 * `npm start`: reads .env and the environment, starts an embedded redis-server when REDIS_URL is
 * unset and the WeChat sandbox when WX_APPID is unset, then serves until SIGTERM/SIGINT.
 */
export async function main(): Promise<void> {
  const envFile = path.join(process.cwd(), '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tixing: ${err.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  const cleanups: (() => Promise<void>)[] = [];

  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    const dir = path.join(process.cwd(), 'var', 'redis');
    const urlFile = embeddedRedisUrlFile(dir);
    // Two redis-servers on one AOF directory would corrupt it: share the running one instead.
    const running = existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : undefined;
    if (running && (await answers(running))) {
      throw new Error(
        `another tixing already runs an embedded Redis on ${running} (var/redis): stop it, or share it with REDIS_URL=${running}`,
      );
    }
    const embedded = await RedisServer.start({ dir });
    writeFileSync(urlFile, embedded.url);
    cleanups.unshift(async () => {
      rmSync(urlFile, { force: true });
      await embedded.stop();
    });
    redisUrl = embedded.url;
    logger.info({ redis: redisUrl, dir }, 'REDIS_URL is unset: started an embedded redis-server (AOF on)');
  }

  if (!config.wx.appId) {
    const appSecret = randomBytes(16).toString('hex');
    const sandbox = new WeChatSandbox({
      appId: SANDBOX_APPID,
      appSecret,
      logger: logger.child({ sandbox: true }),
    });
    const apiBase = await sandbox.start(0, '127.0.0.1');
    cleanups.unshift(() => sandbox.stop());
    config = { ...config, wx: { ...config.wx, appId: SANDBOX_APPID, appSecret, apiBase } };
    logger.warn(
      { wxApiBase: apiBase },
      '*** SANDBOX MODE: WX_APPID is unset, so WeChat is simulated by a local sandbox. ' +
        'No real message leaves this machine; every message "sent" is logged here. ***',
    );
  }

  const redis = await connectRedis(redisUrl, logger);
  cleanups.unshift(() => closeRedis(redis));
  const instance = new Instance({ config, redis, logger, tuning: { drainTimeoutMs: DRAIN_TIMEOUT_MS } });
  cleanups.unshift(() => instance.stop());
  await instance.start();
  const { url } = await instance.listen(config.port, config.host);
  logger.info(
    { url },
    `tixing is listening on ${url}. Try:\n` +
      `  curl ${url}/api/health\n` +
      `  curl -X POST ${url}/api/login -H 'Content-Type: application/json' -d '{"code":"alice#1"}'`,
  );

  // SIGTERM/SIGINT: stop taking requests and claims, let in-flight sends finish (at most
  // DRAIN_TIMEOUT_MS), give back unfinished claims, close Redis, stop the embedded Redis and the
  // sandbox. A second signal, or a stop that overruns its bound, exits at once.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush?.();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, drainTimeoutMs: DRAIN_TIMEOUT_MS }, 'shutting down: finishing in-flight sends');
    setTimeout(() => {
      logger.error('shutdown overran its bound: exiting now');
      logger.flush?.();
      process.exit(1);
    }, DRAIN_TIMEOUT_MS + 5000).unref();
    void (async () => {
      for (const cleanup of cleanups) {
        await cleanup().catch((err: Error) => logger.error({ err: err.message }, 'shutdown step failed'));
      }
      logger.info('stopped');
      logger.flush?.();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** True when something accepts TCP connections at a redis:// URL within 500 ms. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`tixing failed to start: ${err.message}\n`);
    process.exit(1);
  });
}
