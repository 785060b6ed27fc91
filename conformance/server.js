// Starts the packaged httpfstream server jar on a free loopback port with a fresh root, for every test
// file in this folder. HTTPFSTREAM_JAR overrides the jar's path; HTTPFSTREAM_SERVER_FLAGS adds server
// flags (for example `-fsync`, to run the tests against group commit).
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const jar = process.env.HTTPFSTREAM_JAR
  ?? resolve(import.meta.dirname, `../httpfstream-cli/target/httpfstream.jar`)

/**
 * Starts the server with `flags` on a fresh root (a temporary folder named from `rootPrefix`); resolves
 * to { baseUrl, stop } once it listens. stop() ends it with SIGTERM and deletes the root.
 */
export async function startServer(flags = [], rootPrefix = `httpfstream-client-`) {
  const root = mkdtempSync(join(tmpdir(), rootPrefix))
  const server = spawn(`java`, [`-jar`, jar, `server`, `-root=${root}`, `-http=127.0.0.1:0`, ...flags,
    ...(process.env.HTTPFSTREAM_SERVER_FLAGS ?? ``).split(` `).filter(Boolean)],
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
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.on(`exit`, r))
        server.kill(`SIGTERM`)
        await exited
      }
      rmSync(root, { recursive: true, force: true })
    },
  }
}
