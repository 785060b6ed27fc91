// Runs the Durable Streams conformance suite against the httpfstream server jar.
// The jar is built by Maven (package phase of httpfstream-cli) before this runs; `mvn verify` runs
// this file through exec-maven-plugin. HTTPFSTREAM_JAR overrides the jar's path;
// HTTPFSTREAM_SERVER_FLAGS adds server flags (for example `-fsync`, to run the suite against group commit).
// The suite's webhook receivers listen on 127.0.0.1, which webhooks may only reach when allowed:
// hence -webhook-allow=127.0.0.1/32.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { runConformanceTests } from "@durable-streams/server-conformance-tests"

const jar = process.env.HTTPFSTREAM_JAR
  ?? resolve(import.meta.dirname, `../httpfstream-cli/target/httpfstream.jar`)
// longPollTimeoutMs is only the suite's time budget for long-poll tests; it stays at the suite's
// default (20 s) so a loaded machine does not fail them. The server itself times out after 500 ms.
const options = { baseUrl: `http://127.0.0.1:1`, subscriptions: true }
let server
let root

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), `httpfstream-conformance-`))
  server = spawn(`java`, [`-jar`, jar, `server`, `-root=${root}`, `-http=127.0.0.1:0`,
    `-long-poll-timeout=500ms`, `-webhook-allow=127.0.0.1/32`, ...(process.env.HTTPFSTREAM_SERVER_FLAGS ?? ``).split(` `).filter(Boolean)],
    { stdio: [`ignore`, `pipe`, `pipe`] })
  const port = await new Promise((resolvePort, reject) => {
    let log = ``
    const onData = (chunk) => {
      log += chunk.toString()
      const m = log.match(/Starting server on [^\s]*:(\d+) /)
      if (m) resolvePort(Number(m[1]))
    }
    server.stdout.on(`data`, onData)
    server.stderr.on(`data`, onData)
    server.on(`exit`, (code) => reject(new Error(`server exited with ${code}:\n${log}`)))
    setTimeout(() => reject(new Error(`server did not start in 30 s:\n${log}`)), 30_000)
  })
  options.baseUrl = `http://127.0.0.1:${port}`
}, 40_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.on(`exit`, r))
    server.kill(`SIGTERM`)
    await exited
  }
  if (root) rmSync(root, { recursive: true, force: true })
})

runConformanceTests(options)
