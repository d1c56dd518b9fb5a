export function generateSecret(): string;
export function failingMigration(stdout: string): string | undefined;
export function appliedMigrations(stdout: string): string[];
/** Whether `wrangler deploy`'s output says it uploaded the Worker (and so set its secrets). */
export function workerUploaded(stdout: string | undefined): boolean;
