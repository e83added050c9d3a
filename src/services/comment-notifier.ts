import { COMMENT_REPLY_TEMPLATE_ID, type Comment } from '../domain/comment';
import { noticePage, type Notice } from '../domain/notice';
import type { Logger } from '../logger';
import type { TemplateCatalog } from '../wechat/templates';
import { fitted } from './notice-push';
import type { NotificationService } from './notification-service';

export interface CommentNotifierDeps {
  notifications: Pick<NotificationService, 'send'>;
  catalog: TemplateCatalog;
  timezone: string; // DEFAULT_TIMEZONE: how the reply's time is shown
  templateId?: string; // default COMMENT_REPLY_TEMPLATE_ID
  logger: Logger;
}

/**
 * What the person answered is told of a reply: one subscribe message of the reply template
 * (config/templates.json: `{{title}}` the notice's title, `{{detail}}` who answered and the
 * start of the answer, `{{fireTime}}` when), opening the notice's page at the thread. It goes
 * through the delivery pipeline as a notification (src/services/notification-service.ts), so it
 * reaches WeChat only where the person has a grant for the template (QUOTA_MODE=enforce), under
 * their daily limit; without one it is recorded `no_quota` and nothing is sent.
 */
export class CommentNotifier {
  private readonly templateId: string;

  constructor(private readonly deps: CommentNotifierDeps) {
    this.templateId = deps.templateId ?? COMMENT_REPLY_TEMPLATE_ID;
  }

  async replied(notice: Notice, reply: Comment, answered: Comment): Promise<void> {
    const { catalog, logger } = this.deps;
    const template = catalog.get(this.templateId);
    if (!template) {
      logger.warn(
        { templateId: this.templateId },
        'reply not pushed: its template is not in config/templates.json',
      );
      return;
    }
    const keyOf = (p: string) => template.fields.find((f) => f.pattern === `{{${p}}}`)?.key;
    const who = reply.authorName ? `${reply.authorName}：` : '';
    await this.deps.notifications.send([
      {
        openid: answered.author,
        templateId: this.templateId,
        page: `${noticePage(notice.id)}&comment=${reply.parentId ?? reply.id}`,
        title: fitted(keyOf('title'), notice.title) || '通知',
        detail: fitted(keyOf('detail'), `${who}${reply.text.replace(/\s+/g, ' ').trim()}`),
        timezone: this.deps.timezone,
        fireAt: reply.createdAt,
        dedupe: `comment:${notice.id}:${reply.id}`,
        source: `notice:${notice.id}:comment:${reply.id}`,
      },
    ]);
  }
}
