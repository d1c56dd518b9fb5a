import { defineConfig } from "drizzle-kit";

// Migrations come only from `npm run db:generate`; never edit one that has been applied.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/schema.ts",
  out: "./migrations",
});
