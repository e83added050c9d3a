import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config';
import { RedisServer, embeddedRedisUrlFile, superviseRedisServer } from './infra/redis-server';
import { DRAIN_TIMEOUT_MS, Instance } from './instance';
import { createLogger } from './logger';
import { closeRedis, connectRedis } from './store/redis';

const SANDBOX_APPID = 'wx0000000000000000';
const REDIS_RESTARTS = 5; // embedded redis-server restarts allowed within REDIS_RESTART_WINDOW_MS
const REDIS_RESTART_WINDOW_MS = 60_000;

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

  // SIGTERM/SIGINT (or an embedded Redis that keeps dying, exit code 1): stop taking requests and
  // claims, let in-flight sends finish (at most DRAIN_TIMEOUT_MS), give back unfinished claims,
  // close Redis, stop the embedded Redis and the sandbox. A second signal, or a stop that overruns
  // its bound, exits at once.
  let stopping = false;
  const shutdown = (signal: string, exitCode = 0) => {
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
      process.exit(exitCode);
    })();
  };

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
    // A dead embedded Redis comes back on its port and AOF; one that keeps dying ends tixing, so a
    // process manager restarts the whole instead of tixing answering 503 for good.
    const unsupervise = superviseRedisServer(embedded, {
      maxRestarts: REDIS_RESTARTS,
      windowMs: REDIS_RESTART_WINDOW_MS,
      onExit: ({ pid, code, signal }) =>
        logger.error(
          { redisPid: pid, code, signal },
          'embedded redis-server died: restarting it on its data',
        ),
      onRestart: ({ pid, restarts }) =>
        logger.warn({ redisPid: pid, redis: embedded.url, restarts }, 'embedded redis-server restarted'),
      onGiveUp: ({ output }, restarts) => {
        logger.fatal(
          { restarts, windowSeconds: REDIS_RESTART_WINDOW_MS / 1000, redisOutput: output.slice(-1000) },
          `embedded redis-server keeps dying (${restarts} restarts within ${REDIS_RESTART_WINDOW_MS / 1000} s): ` +
            'exiting with status 1 so a process manager restarts tixing (its last words: redisOutput; its data: var/redis)',
        );
        if (!stopping) shutdown('redis-server', 1);
      },
    });
    cleanups.unshift(async () => {
      unsupervise();
      rmSync(urlFile, { force: true });
      await embedded.stop();
    });
    redisUrl = embedded.url;
    logger.info(
      { redis: redisUrl, dir, redisPid: embedded.pid },
      'REDIS_URL is unset: started an embedded redis-server (AOF on)',
    );
  }

  let sandboxPush: { target: string | null } | undefined;
  if (!config.wx.appId) {
    // Loaded only here, so with real credentials the simulated WeChat is not even in memory. A
    // require rather than import(): this is CommonJS, and import() would load it as ESM.
    const { WeChatSandbox } =
      require('./sandbox/wechat-sandbox') as typeof import('./sandbox/wechat-sandbox');
    const appSecret = randomBytes(16).toString('hex');
    if (!config.wx.token) {
      // No WX_TOKEN: a random one for this run, so that the sandbox's push side (a user writing
      // to customer service, the console's conversations, delivery reports) works on a fresh
      // `npm start`. Only the sandbox and this process know it; client reports still count as grants.
      config = {
        ...config,
        wx: { ...config.wx, token: randomBytes(16).toString('hex'), sandboxToken: true },
      };
    }
    const sandbox = new WeChatSandbox({
      appId: SANDBOX_APPID,
      appSecret,
      logger: logger.child({ sandbox: true }),
      // Its push side signs (and encrypts) as WeChat does with the console's values: tixing's own.
      ...(config.wx.token ? { push: { token: config.wx.token, aesKey: config.wx.aesKey } } : {}),
    });
    sandboxPush = sandbox.pushSide;
    const apiBase = await sandbox.start(0, '127.0.0.1');
    cleanups.unshift(() => sandbox.stop());
    config = { ...config, wx: { ...config.wx, appId: SANDBOX_APPID, appSecret, apiBase, sandbox: true } };
    logger.warn(
      { wxApiBase: apiBase },
      '*** SANDBOX MODE: WX_APPID is unset, so WeChat is simulated by a local sandbox. ' +
        'No real message leaves this machine; every message "sent" is logged here. ***',
    );
  }

  let operatorTokenFile: string | undefined;
  if (config.wx.sandbox && !config.adminToken) {
    // Sandbox mode with no ADMIN_TOKEN: a random one for this run, so that the console's operator
    // sign-in works on a fresh `npm start`. Written to a file only its owner reads, never logged.
    const file = path.join(process.cwd(), 'var', 'console-operator-token');
    mkdirSync(path.dirname(file), { recursive: true });
    const adminToken = randomBytes(24).toString('base64url');
    writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    cleanups.push(async () => rmSync(file, { force: true }));
    config = { ...config, adminToken };
    operatorTokenFile = path.relative(process.cwd(), file);
  }

  const redis = await connectRedis(redisUrl, logger, 'redis', {
    commandTimeoutMs: config.redisCommandTimeoutMs,
    cluster: config.redisCluster,
  });
  cleanups.unshift(() => closeRedis(redis));
  const instance = new Instance({ config, redis, logger });
  cleanups.unshift(() => instance.stop());
  await instance.start();
  const { url } = await instance.listen(config.port, config.host);
  if (sandboxPush) sandboxPush.target = `${url}/api/wx/message`; // POST <wxApiBase>/__sandbox/push delivers here
  logger.info(
    { url, console: `${url}/console` },
    `tixing is listening on ${url}. The web console: ${url}/console` +
      (operatorTokenFile ? ` (operators sign in with the token in ${operatorTokenFile})` : '') +
      `\nTry:\n` +
      `  curl ${url}/api/health\n` +
      `  curl -X POST ${url}/api/login -H 'Content-Type: application/json' -d '{"code":"alice#1"}'` +
      (sandboxPush && config.wx.token
        ? `\n  curl -X POST ${config.wx.apiBase}/__sandbox/push -H 'Content-Type: application/json' ` +
          `-d '{"user":"alice","message":{"MsgType":"text","Content":"帮助"}}'`
        : ''),
  );

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
