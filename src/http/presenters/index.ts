/** What each route answers, by resource; tests, bench and drills read response bodies as these. */
export type { BotRulesView } from './bot';
export type {
  AgentReplyView,
  ConversationMessageView,
  ConversationPageView,
  ConversationView,
  WindowView,
} from './conversation';
export type { Envelope } from './envelope';
export type { HealthView } from './health';
export type { GroupDeletedView, GroupPageView, GroupView, MemberPageView, MemberView } from './group';
export type { LoginView } from './login';
export type { InviteView, KeepView, PromisePageView, PromiseView } from './promise';
export type { ErasureView, PersonalExportView } from './me';
export type {
  CreatedReminderView,
  DeliveryView,
  QuotaHintView,
  ReminderDetailView,
  ReminderPageView,
  ReminderView,
} from './reminder';
export type { ReloadView, StatsView } from './stats';
export type { QuotaView, ReportView } from './subscription';
