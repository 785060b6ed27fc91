// The official Durable Streams client (@durable-streams/client, pinned in package.json) against the
// httpfstream server jar: its idempotent producer writes, its live readers (SSE and long-poll) follow,
// and its catch-up reads (live: false) of multi-megabyte streams return every byte and every event.
// That client stops a `live: false` read after the first response, whether or not it said
// Stream-Up-To-Date, so a server that answered a catch-up read in pieces would give it a truncated stream.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { DurableStream, IdempotentProducer, stream } from "@durable-streams/client"
import { startServer } from "./server.js"

let server
let n = 0

beforeAll(async () => {
  server = await startServer([`-long-poll-timeout=2s`])
}, 40_000)

afterAll(async () => {
  await server?.stop()
})

/** A fresh stream URL. */
const url = (name) => `${server.baseUrl}/client/${name}-${++n}`

/** 30,300 numbered lines of 100 bytes: the defect report's 3,030,000-byte text stream. */
function lines(count, from = 0) {
  const out = []
  for (let i = from; i < from + count; i++) {
    const head = `line ${i} of a long build log `
    out.push(head + `.`.repeat(99 - head.length) + `\n`)
  }
  return out
}

/** Events as a producer sends them (serialised JSON). */
function events(count, from = 0) {
  const out = []
  for (let i = from; i < from + count; i++) out.push({ seq: i, kind: `step`, note: `event number ${i}` })
  return out
}

async function create(streamUrl, contentType) {
  return DurableStream.create({ url: streamUrl, contentType })
}

async function produce(handle, items, { close = false, id = `producer-1` } = {}) {
  const producer = new IdempotentProducer(handle, id, { onError: (e) => { throw e } })
  for (const item of items) {
    producer.append(typeof item === `string` || item instanceof Uint8Array ? item : JSON.stringify(item))
  }
  if (close) await producer.close()
  else await producer.flush()
  return producer
}

describe(`catch-up reads (live: false) of multi-megabyte streams`, () => {
  test(`a 3,030,000-byte text stream is read whole`, async () => {
    const streamUrl = url(`text`)
    const handle = await create(streamUrl, `text/plain`)
    const written = lines(30_300)
    await produce(handle, written)
    const expected = written.join(``)
    expect(expected.length).toBe(3_030_000)

    const res = await stream({ url: streamUrl, offset: `-1`, live: false })
    const text = await res.text()
    expect(text.length).toBe(3_030_000)
    expect(text).toBe(expected)
    expect(res.upToDate).toBe(true)
  }, 120_000)

  test(`a stream of 50,000 JSON events is read whole`, async () => {
    const streamUrl = url(`json`)
    const handle = await create(streamUrl, `application/json`)
    const written = events(50_000)
    await produce(handle, written)

    const res = await stream({ url: streamUrl, offset: `-1`, live: false })
    const items = await res.json()
    expect(items.length).toBe(50_000)
    expect(items).toEqual(written)
  }, 120_000)

  test(`2,500,000 bytes are read whole too, through a stream handle`, async () => {
    const streamUrl = url(`bytes`)
    const handle = await create(streamUrl, `application/octet-stream`)
    const bytes = new Uint8Array(2_500_000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff
    await produce(handle, [bytes.subarray(0, 1_000_000), bytes.subarray(1_000_000)])

    const all = await (await handle.stream({ offset: `-1`, live: false })).body()
    expect(all.length).toBe(bytes.length)
    expect(Buffer.from(all).equals(Buffer.from(bytes))).toBe(true)
  }, 120_000)
})

/**
 * Follows `streamUrl` live in `mode` until its subscriber gets the batch that says the stream is closed;
 * resolves to what it read. (`res.closed` is no sign of that: the client resolves it once its reader
 * has fetched the last response, possibly before the subscriber has been handed it.)
 */
async function follow(streamUrl, mode, json) {
  const res = await stream({ url: streamUrl, offset: `-1`, live: mode })
  const got = []
  await new Promise((resolve, reject) => {
    const onBatch = (batch) => {
      if (json) got.push(...batch.items)
      else got.push(batch.text)
      if (batch.streamClosed) resolve()
    }
    if (json) res.subscribeJson(onBatch)
    else res.subscribeText(onBatch)
    res.closed.catch(reject)
  })
  res.cancel()
  return json ? got : got.join(``)
}

describe.each([`sse`, `long-poll`])(`live readers (%s)`, (mode) => {
  // A backlog of about 2 MB, then more written while the reader follows, then the close.
  test.each([
    { kind: `JSON`, type: `application/json`, json: true, backlog: () => events(30_000),
      more: () => events(2_000, 30_000), length: 32_000 },
    { kind: `text`, type: `text/plain`, json: false, backlog: () => lines(20_000),
      more: () => lines(1_000, 20_000), length: 2_100_000 },
  ])(`follow a $kind stream from a 2 MB backlog to its close`, async (c) => {
    const streamUrl = url(`live-${c.json ? `json` : `text`}-${mode}`)
    const handle = await create(streamUrl, c.type)
    const backlog = c.backlog()
    await produce(handle, backlog)

    const reading = follow(streamUrl, mode, c.json)
    const more = c.more()
    await produce(handle, more, { close: true, id: `producer-2` })
    const got = await reading
    expect(got.length).toBe(c.length)
    expect(got).toEqual(c.json ? [...backlog, ...more] : [...backlog, ...more].join(``))
  }, 120_000)
})
