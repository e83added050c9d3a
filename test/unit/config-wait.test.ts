import { ConfigError, loadConfig } from '../../src/config';

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT_MS', () => {
  it('default to no WAIT and a 500 ms timeout', () => {
    expect(loadConfig({})).toMatchObject({ redisWaitReplicas: 0, redisWaitTimeoutMs: 500 });
  });

  it('accepts a replica count and a timeout below the command timeout', () => {
    expect(
      loadConfig({
        REDIS_WAIT_REPLICAS: '1',
        REDIS_WAIT_TIMEOUT_MS: '800',
        REDIS_COMMAND_TIMEOUT_MS: '2000',
      }),
    ).toMatchObject({ redisWaitReplicas: 1, redisWaitTimeoutMs: 800 });
  });

  it('refuses a count that is not a non-negative integer, naming the variable', () => {
    for (const bad of ['-1', 'one', '1.5']) {
      expect(problemsOf({ REDIS_WAIT_REPLICAS: bad })).toContain('REDIS_WAIT_REPLICAS');
    }
  });

  it('refuses a timeout of zero (WAIT would block for ever) or not a number', () => {
    for (const bad of ['0', 'soon']) {
      expect(problemsOf({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: bad })).toContain(
        'REDIS_WAIT_TIMEOUT_MS',
      );
    }
  });

  it('refuses a timeout the command deadline would cut short', () => {
    expect(
      problemsOf({
        REDIS_WAIT_REPLICAS: '1',
        REDIS_WAIT_TIMEOUT_MS: '2000',
        REDIS_COMMAND_TIMEOUT_MS: '2000',
      }),
    ).toContain('REDIS_WAIT_TIMEOUT_MS: must be below REDIS_COMMAND_TIMEOUT_MS');
  });
});
