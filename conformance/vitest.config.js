import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: [`conformance.test.js`, `client.test.js`],
    testTimeout: 30_000,
    hookTimeout: 40_000,
    // The suite talks to one server; run its files' tests in one worker.
    fileParallelism: false,
  },
})
