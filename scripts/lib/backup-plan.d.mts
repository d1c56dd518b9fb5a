export interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}
export interface ExportPlan {
  tables: string[];
  names: string[];
  virtual: SchemaObject[];
  shadow: string[];
  searchTriggers: SchemaObject[];
}
export type Refill =
  | { kind: "rebuild"; name: string; statement: string }
  | { kind: "cron" | "lost"; name: string };

export const SCHEMA_QUERY: string;
export const MEDIA_QUERY: string;
export const MEDIA_COLUMNS: string[];
export function exportPlan(objects: SchemaObject[]): ExportPlan;
export function exportArgs(options: {
  binding: string;
  config: string;
  output: string;
  names: string[];
}): string[];
export function queryArgs(options: { binding: string; config: string; sql: string }): string[];
export function refillOf(virtualTable: SchemaObject): Refill;
export function restoreSearchSql(plan: ExportPlan): string;
export function mediaCsv(rows: Record<string, unknown>[]): string;
export function backupStamp(date: Date): string;
