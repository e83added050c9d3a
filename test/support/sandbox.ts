import { WeChatSandbox, type WeChatSandboxOptions } from '../../src/sandbox/wechat-sandbox';
import { TEST_APPID, TEST_SECRET } from './config';
import { startInstance, type InstanceOptions, type TestInstance } from './instance';

export interface SandboxEnv {
  readonly sandbox: WeChatSandbox;
  readonly url: string;
  /**
   * Starts an instance talking to this sandbox. One started by a test (or a beforeEach) is closed
   * after that test; one started in a beforeAll lives until the file (or describe) ends.
   */
  start(options?: InstanceOptions): Promise<TestInstance>;
}

/**
 * The one way a test file gets WeChat and app instances: a sandbox (the in-repo stand-in for
 * api.weixin.qq.com) for the file or describe block it is called in, its records (sent messages,
 * counters, faults, used codes) reset after each test, and the instances started through it closed
 * for the test. Call it at the top of the block: jest runs hooks in the order they are declared,
 * so a hook that must run before the instances close (one that heals a stopped Redis) goes above.
 */
export function useSandbox(options: Partial<WeChatSandboxOptions> = {}): SandboxEnv {
  let sandbox: WeChatSandbox | undefined;
  let url: string | undefined;
  let inTest = false;
  const forTest: TestInstance[] = [];
  const forFile: TestInstance[] = [];
  beforeAll(async () => {
    sandbox = new WeChatSandbox({ appId: TEST_APPID, appSecret: TEST_SECRET, ...options });
    url = await sandbox.start(0, '127.0.0.1');
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    for (const t of forTest.splice(0).reverse()) await t.close();
    sandbox?.reset();
  });
  afterAll(async () => {
    for (const t of forFile.splice(0).reverse()) await t.close();
    await sandbox?.stop();
  });
  const started = () => {
    if (!sandbox || !url) throw new Error('useSandbox(): the sandbox starts in beforeAll');
    return { sandbox, url };
  };
  return {
    get sandbox() {
      return started().sandbox;
    },
    get url() {
      return started().url;
    },
    async start(instanceOptions = {}) {
      const scope = inTest ? forTest : forFile;
      const t = await startInstance({ ...instanceOptions, wxBase: started().url });
      scope.push(t);
      return t;
    },
  };
}
