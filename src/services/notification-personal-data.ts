import type { DeliveryAttempt } from '../domain/reminder';
import type { Notification } from '../domain/notification';
import type { NotificationStore } from '../store/notification-store';
import type { KeyFamily, PersonalData } from './personal-data';

export interface NotificationsExport {
  items: (Omit<Notification, 'createdAt' | 'updatedAt' | 'at' | 'fireAt'> & {
    createdAt: string;
    updatedAt: string;
    at: string;
    fireAt: string | null;
    deliveries: DeliveryAttempt[];
  })[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The notifications a person received (a promise's "kept", a notice's push…), for
 * src/services/personal-data.ts: exported with their delivery attempts, erased with every key that
 * points at them (src/store/notification-store.ts).
 */
export class NotificationPersonalData implements PersonalData {
  readonly name = 'notifications';
  readonly families: readonly KeyFamily[] = [
    {
      pattern: 'notification:{n<shard>}:<id>',
      about: 'hash: one notification sent to the user (openid field)',
    },
    { pattern: 'notification:{n<shard>}:<id>:deliveries', about: 'list: its send attempts' },
    {
      pattern: 'notification:{n<shard>}:<id>:claim',
      about: 'string with a lease: the instance sending it right now',
      notExported: ['value'], // an instance's owner token, nothing about the user
    },
    {
      pattern: 'notifications:{n<shard>}:user:<openid>',
      about: 'zset: the user’s notifications by creation',
    },
    {
      pattern: 'notifications:{n<shard>}:due',
      about: 'zset of everyone: pending notifications by send time',
      shared: true,
    },
    {
      pattern: 'notifications:{n<shard>}:dedupe:<key>',
      about: 'string: a sender’s dedupe key → the notification',
    },
  ];

  constructor(private readonly store: Pick<NotificationStore, 'forRecipient' | 'eraseRecipient'>) {}

  async export(openid: string): Promise<NotificationsExport> {
    const found = await this.store.forRecipient(openid);
    return {
      items: found.map(({ notification: n, deliveries }) => ({
        ...n,
        createdAt: iso(n.createdAt),
        updatedAt: iso(n.updatedAt),
        at: iso(n.at),
        fireAt: n.fireAt === null ? null : iso(n.fireAt),
        deliveries,
      })),
    };
  }

  erase(openid: string): Promise<number> {
    return this.store.eraseRecipient(openid);
  }
}
