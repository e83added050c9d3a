import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks in every line. Secrets must never reach a log: the app secret, WeChat's
 * session_key, access tokens, our session tokens and the push AES key.
 */
export const REDACT_PATHS = [
  'secret',
  'appSecret',
  'session_key',
  'sessionKey',
  'access_token',
  'accessToken',
  'token',
  'aesKey',
  'authorization',
  '*.secret',
  '*.appSecret',
  '*.session_key',
  '*.sessionKey',
  '*.access_token',
  '*.accessToken',
  '*.token',
  '*.aesKey',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name: options.name ?? 'tixing',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Query strings carry access_token and secret on WeChat's API: strip them from any URL logged.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrubUrlSecrets(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    // Without a destination of its own, stdout written asynchronously: lines logged while a write
    // is under way go out together in the next one, rather than one blocking write(2) per line
    // (one per request). pino flushes what is left synchronously when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Replaces the values of secret-bearing query parameters in a URL or message. */
export function scrubUrlSecrets(text: string): string {
  return text.replace(/([?&](?:access_token|secret|js_code|appsecret)=)[^&\s"]*/gi, '$1[redacted]');
}
