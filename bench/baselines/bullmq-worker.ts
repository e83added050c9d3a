/**
 * Baseline process for the spike and precision benchmarks: a BullMQ worker that consumes delayed
 * jobs and sends each as a subscribe message through the same HTTP client tixing uses
 * (WeChatClient.sendSubscribeMessage: an undici Pool, keep-alive, one POST to subscribe/send with a token)
 * and the same template rendering. No claim, no delivery record: the queue does the bookkeeping.
 *
 * Env: REDIS_URL, QUEUE, CONCURRENCY, WX_APPID, WX_APPSECRET, WX_API_BASE. Prints "bullmq worker ready".
 */
import path from 'node:path';
import { Worker, createNodeRedisClient, type Job } from 'bullmq';
import { createClient } from 'redis';
import { ROOT } from '../../lab/node-process';
import { loadTemplates, renderTemplateData } from '../../src/wechat/templates';
import { WeChatClient } from '../../src/wechat/wechat-client';

export interface SendJob {
  openid: string;
  title: string;
  fireAt: number;
}

export const TEMPLATE_ID = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export async function main(): Promise<void> {
  const concurrency = Number(env('CONCURRENCY'));
  const catalog = loadTemplates(path.join(ROOT, 'config', 'templates.json'));
  const client = new WeChatClient({
    apiBase: env('WX_API_BASE'),
    appId: env('WX_APPID'),
    appSecret: env('WX_APPSECRET'),
    maxSockets: concurrency * 2, // as tixing's Instance sizes it
  });
  const { accessToken } = await client.stableToken();
  const worker = new Worker<SendJob>(
    env('QUEUE'),
    async (job: Job<SendJob>) => {
      const { openid, title, fireAt } = job.data;
      await client.sendSubscribeMessage(accessToken, {
        touser: openid,
        template_id: TEMPLATE_ID,
        data: renderTemplateData(catalog, TEMPLATE_ID, {
          title,
          detail: '',
          fireAt,
          timezone: 'Asia/Shanghai',
        }),
        miniprogram_state: 'formal',
        lang: 'zh_CN',
      });
    },
    { connection: createNodeRedisClient(createClient({ url: env('REDIS_URL') })), concurrency },
  );
  worker.on('failed', (job, err) => process.stderr.write(`job ${job?.id} failed: ${err.message}\n`));
  await worker.waitUntilReady();
  process.stdout.write('bullmq worker ready\n');
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`bullmq worker failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
