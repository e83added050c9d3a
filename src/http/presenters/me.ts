import type { Erasure, PersonalExport } from '../../services/me-service';

/**
 * `GET /api/me/export`: one JSON document of everything stored about the caller — `openid`,
 * `exportedAt`, then one section per feature (src/services/personal-data.ts): `account`,
 * `reminders`, `subscriptions`, `dailySends`, and whatever later features add.
 */
export type PersonalExportView = { openid: string; exportedAt: string } & Record<string, unknown>;

/** `DELETE /api/me`: when, and how many records of each feature went. */
export interface ErasureView {
  erasedAt: string;
  records: Record<string, number>;
}

export function presentExport(doc: PersonalExport): PersonalExportView {
  return { openid: doc.openid, exportedAt: new Date(doc.exportedAt).toISOString(), ...doc.sections };
}

export function presentErasure(erasure: Erasure): ErasureView {
  return { erasedAt: new Date(erasure.erasedAt).toISOString(), records: erasure.records };
}
