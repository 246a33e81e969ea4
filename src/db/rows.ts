/**
 * A row of each table as Postgres gives it to drizzle, declared once from the schema: services and views
 * type rows with these, so a column's type is never written by hand again (docs/architecture.md).
 */
import type * as schema from './schema.js';

export type { TargetLanguage } from './types.js';

export type SupporterRow = typeof schema.supporters.$inferSelect;
export type CampaignRow = typeof schema.campaigns.$inferSelect;
export type TargetRow = typeof schema.targets.$inferSelect;
export type InboundMessageRow = typeof schema.inboundMessages.$inferSelect;
export type SignatureRow = typeof schema.signatures.$inferSelect;
export type SignatureCountRow = typeof schema.signatureCounts.$inferSelect;
export type StaffRow = typeof schema.staff.$inferSelect;
export type ApiTokenRow = typeof schema.apiTokens.$inferSelect;
export type StaffSessionRow = typeof schema.staffSessions.$inferSelect;
export type StaffPasswordLinkRow = typeof schema.staffPasswordLinks.$inferSelect;
export type AuditLogEntryRow = typeof schema.auditLog.$inferSelect;
export type OutboxRow = typeof schema.outbox.$inferSelect;
export type FaxBatchRow = typeof schema.faxBatches.$inferSelect;
export type FaxDeliveryRow = typeof schema.faxDeliveries.$inferSelect;
export type BroadcastRow = typeof schema.broadcasts.$inferSelect;
export type OutboundMessageRow = typeof schema.outboundMessages.$inferSelect;
export type EarlyDeliveryReportRow = typeof schema.earlyDeliveryReports.$inferSelect;
export type MemberImportRow = typeof schema.memberImports.$inferSelect;
export type MemberImportStagedRow = typeof schema.memberImportRows.$inferSelect;
export type MemberImportCheckedRow = typeof schema.memberImportChecked.$inferSelect;

export type CampaignStatus = (typeof schema.campaignStatus.enumValues)[number];
export type SignatureStatus = (typeof schema.signatureStatus.enumValues)[number];
export type StaffRole = (typeof schema.staffRole.enumValues)[number];
export type TargetChannel = (typeof schema.targetChannel.enumValues)[number];
export type PasswordLinkPurpose = (typeof schema.passwordLinkPurpose.enumValues)[number];
export type FaxBatchStatus = (typeof schema.faxBatchStatus.enumValues)[number];
export type FaxDeliveryStatus = (typeof schema.faxDeliveryStatus.enumValues)[number];
export type DeliveryChannel = (typeof schema.deliveryChannel.enumValues)[number];
export type BroadcastAudience = (typeof schema.broadcastAudience.enumValues)[number];
export type BroadcastStatus = (typeof schema.broadcastStatus.enumValues)[number];
export type OutboundStatus = (typeof schema.outboundStatus.enumValues)[number];
export type MemberImportStatus = (typeof schema.memberImportStatus.enumValues)[number];
