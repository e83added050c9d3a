/** What each route answers, by resource; tests, bench and drills read response bodies as these. */
export type { Envelope } from './envelope';
export type { HealthView } from './health';
export type { LoginView } from './login';
export type { PromiseView } from './promise';
export type { DeliveryView, ReminderDetailView, ReminderPageView, ReminderView } from './reminder';
export type { ReloadView, StatsView } from './stats';
export type { QuotaView, ReportView } from './subscription';
