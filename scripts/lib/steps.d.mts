export function generateSecret(): string;
export function failingMigration(stdout: string): string | undefined;
export function appliedMigrations(stdout: string): string[];
