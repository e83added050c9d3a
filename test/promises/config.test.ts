import path from 'node:path';
import { ConfigError, DEFAULT_PROMISE_TEMPLATE_ID, loadConfig } from '../../src/config';
import { Instance } from '../../src/instance';
import { closeRedis, connectRedis } from '../../src/store/redis';
import { loadTemplates } from '../../src/wechat/templates';
import { testConfig, testRedisUrl } from '../support/config';
import { LogCapture } from '../support/logs';

/** WX_PROMISE_TEMPLATE_ID: typed, validated, and a template of config/templates.json. */
describe('WX_PROMISE_TEMPLATE_ID', () => {
  it('defaults to the promise template shipped in config/templates.json, with a phrase field for the state', () => {
    expect(loadConfig({}).wx.promiseTemplateId).toBe(DEFAULT_PROMISE_TEMPLATE_ID);
    expect(loadConfig({ WX_PROMISE_TEMPLATE_ID: 'tplPromise-1' }).wx.promiseTemplateId).toBe('tplPromise-1');
    const shipped = loadTemplates(path.join(__dirname, '..', '..', 'config', 'templates.json'));
    expect(shipped.get(DEFAULT_PROMISE_TEMPLATE_ID)?.fields.map((f) => [f.key, f.type])).toEqual([
      ['thing1', 'thing'],
      ['thing2', 'thing'],
      ['time3', 'time'],
      ['phrase4', 'phrase'],
    ]);
  });

  it('stops the start on a value that is no template id, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ WX_PROMISE_TEMPLATE_ID: 'not a template id!' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain('WX_PROMISE_TEMPLATE_ID');
  });

  it('stops the start when config/templates.json has no such template', async () => {
    const logs = new LogCapture();
    const redis = await connectRedis(testRedisUrl(), logs.logger, 'redis', { commandTimeoutMs: 2000 });
    try {
      const build = (promiseTemplateId: string) =>
        new Instance({ config: testConfig({ wx: { promiseTemplateId } }), redis, logger: logs.logger });
      expect(() => build('tplMissingFromTheCatalogue')).toThrow(
        /WX_PROMISE_TEMPLATE_ID tplMissingFromTheCatalogue is not a template of config\/templates.json/,
      );
      const built = build(DEFAULT_PROMISE_TEMPLATE_ID); // the control: the shipped one starts
      await built.stop();
    } finally {
      await closeRedis(redis);
    }
  });
});
