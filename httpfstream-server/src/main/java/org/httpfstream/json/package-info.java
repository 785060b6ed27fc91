/**
 * The project's one JSON path, on jackson-core's streaming parser and generator (no databind):
 * {@link org.httpfstream.json.Json} reads and writes the small bodies and files of the control APIs
 * (maps, lists, strings, numbers, booleans, null), and {@link org.httpfstream.json.JsonMessages} turns
 * a Durable Streams JSON-mode body into the compacted messages a stream stores, one per line. Hostile
 * input (nesting too deep, a number too long, invalid UTF-8, a byte-order mark, trailing data) is
 * refused with a {@link org.httpfstream.json.JsonException}, an {@link IllegalArgumentException} with
 * a one-line message, which the transports answer with 400. Nothing here imports Netty.
 */
package org.httpfstream.json;
