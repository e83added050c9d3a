/**
 * The test harness, one import for every test file:
 * - `useSandbox()`: the WeChat sandbox of a file and `env.start()`, the one way to start an app
 *   instance (sandbox.ts, instance.ts);
 * - `useMainProcess()`: tixing as a real process (main-process.ts, over lab/tixing.ts);
 * - `login`, `bearer`, `api`: a session and the HTTP client of an instance;
 * - `waitFor`, and `sleep` for the rare wait that is the scenario itself (lab/wait.ts);
 * - `TestClock`: the injectable clock (clock.ts);
 * - positive controls for tests that prove something did not happen (controls.ts).
 */
export { bearer, login } from '../../lab/login';
export { sleep, waitFor, type WaitOptions } from '../../lab/wait';
export { TestClock } from './clock';
export { TEST_APPID, TEST_SECRET, testRedisUrl, uniquePrefix, type ConfigOverrides } from './config';
export { afterSweeps, leaveBehind, sweepControl, watchClaims } from './controls';
export { api, type InstanceOptions, type TestInstance } from './instance';
export { useMainProcess, type MainEnv } from './main-process';
export { useSandbox, type SandboxEnv } from './sandbox';
