// Runs the Durable Streams conformance suite against the httpfstream server jar.
// The jar is built by Maven (package phase of httpfstream-cli) before this runs; `mvn verify` runs
// this file through exec-maven-plugin. HTTPFSTREAM_JAR overrides the jar's path;
// HTTPFSTREAM_SERVER_FLAGS adds server flags (for example `-fsync`, to run the suite against group commit).
// The suite's webhook receivers listen on 127.0.0.1, which webhooks may only reach when allowed:
// hence -webhook-allow=127.0.0.1/32.
import { afterAll, beforeAll } from "vitest"
import { runConformanceTests } from "@durable-streams/server-conformance-tests"
import { startServer } from "./server.js"

// longPollTimeoutMs is only the suite's time budget for long-poll tests; it stays at the suite's
// default (20 s) so a loaded machine does not fail them. The server itself times out after 500 ms.
const options = { baseUrl: `http://127.0.0.1:1`, subscriptions: true }
let server

beforeAll(async () => {
  server = await startServer([`-long-poll-timeout=500ms`, `-webhook-allow=127.0.0.1/32`], `httpfstream-conformance-`)
  options.baseUrl = server.baseUrl
}, 40_000)

afterAll(async () => {
  await server?.stop()
})

runConformanceTests(options)
