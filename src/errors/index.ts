/**
 * The one error catalogue: classes and entries (./catalogue.ts), and the factories that alone
 * build them (./factories.ts). Foreign errors (WeChat, Redis) are translated into these at the
 * client boundary; the error middleware turns them into the envelope.
 */
export * from './catalogue';
export * from './factories';
