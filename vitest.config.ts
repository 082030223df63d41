import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: integration suites spawn real processes, so run files two at a time.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
