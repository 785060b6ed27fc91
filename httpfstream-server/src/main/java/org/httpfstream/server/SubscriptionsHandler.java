package org.httpfstream.server;

import static io.netty.handler.codec.http.HttpHeaderNames.CACHE_CONTROL;
import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.httpfstream.json.Json;
import org.httpfstream.store.DurableStreams;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.MetadataStore;
import org.httpfstream.store.Offsets;
import org.httpfstream.store.StreamStore;
import org.httpfstream.webhook.RefusedTargetException;
import org.httpfstream.webhook.WebhookSender;
import org.httpfstream.webhook.WebhookTargets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Durable Streams reserved subscription APIs under {@code {stream-root}/__ds/}: subscriptions
 * (create, read, delete, explicit stream membership), webhook delivery signed with Ed25519 (public key at
 * {@code __ds/jwks.json}) with callbacks, and pull-wake (wake events on a wake stream, claim, ack,
 * release), with generation fencing and leases.
 *
 * <p>Subscriptions are durable cursors: each one's configuration, links, acknowledged offsets and wake
 * generation are written to {@code ROOT/.httpfstream/subscriptions/} on every change (a new file, then an
 * atomic rename; forced to disk with the store's fsync), and loaded again at start, so a restart keeps
 * them, fences every wake issued before it (the generation only grows) and wakes again whatever is still
 * pending. The Ed25519 signing key is kept in {@code ROOT/.httpfstream/signing-key} (owner-only where the
 * file system has POSIX permissions), so its {@code kid} stays stable. A wake in flight is not kept: after
 * a restart its token is unknown and a new wake is issued. Streams are linked when a subscription is
 * created (at their tail) and when a matching stream changes later (from its start, so the change is
 * pending).
 *
 * <p>Thread safety: safe from any thread. Each subscription's state is guarded by its own monitor;
 * stream changes are handled, and webhooks delivered, off the writers' threads, on a timer thread and
 * the {@link WebhookSender}'s threads.
 *
 * <p>Webhooks go only where {@link WebhookTargets} allows: the URL's form, scheme and address literal are
 * checked when a subscription is created; at every delivery the sender resolves the host, keeps only
 * allowed addresses and connects to one of those, never following a redirect. Each refusal is counted
 * as {@link Refusals.Reason#WEBHOOK_TARGET}.
 */
final class SubscriptionsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionsHandler.class);
    static final String PREFIX = "__ds";
    private static final long DEFAULT_LEASE_MS = 30_000;

    private final DurableStreams streams;
    private final ConcurrentHashMap<String, Sub> subscriptions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    /** Created or loaded on first use, so a server that never signs writes no key. */
    private volatile SigningKey signingKey;
    private final Path keyFile;
    /** Where subscriptions are saved: {@code ROOT/.httpfstream/subscriptions}. */
    private final Path folder;
    private final boolean fsync;
    private volatile ScheduledExecutorService timer;
    /** Where webhooks may go; checked at creation and, after resolving, on every delivery. */
    private final WebhookTargets targets;
    private final Refusals refusals;
    private final WebhookSender sender;

    SubscriptionsHandler(DurableStreams streams) {
        this(streams, WebhookTargets.publicOnly(), new Refusals());
    }

    SubscriptionsHandler(DurableStreams streams, WebhookTargets targets, Refusals refusals) {
        this.streams = Objects.requireNonNull(streams, "streams");
        this.targets = Objects.requireNonNull(targets, "targets");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.sender = new WebhookSender(targets, Duration.ofSeconds(10), Duration.ofSeconds(30));
        Path meta = streams.store().root().resolve(MetadataStore.FOLDER);
        this.folder = meta.resolve("subscriptions");
        this.fsync = streams.store().fsync();
        this.keyFile = meta.resolve("signing-key");
        load();
        streams.store().addChangeListener(this::changed);
        streams.store().addCloseListener(this::shutdown);
        for (Sub sub : subscriptions.values()) {
            schedule(() -> maybeWake(sub), 0); // work left pending before the restart
        }
    }

    /** The webhook signing key pair with its JWK {@code kid} and public {@code x}. */
    private record SigningKey(KeyPair keys, String kid, String publicX) {}

    private SigningKey signingKey() {
        SigningKey k = signingKey;
        if (k != null) {
            return k;
        }
        synchronized (this) {
            if (signingKey == null) {
                try {
                    KeyPair keys = loadOrCreateKeys(keyFile);
                    byte[] spki = keys.getPublic().getEncoded();
                    byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
                    signingKey = new SigningKey(keys,
                            "ds_" + b64url(MessageDigest.getInstance("SHA-256").digest(raw)).substring(0, 16),
                            b64url(raw));
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalStateException("Ed25519 is not available", e);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot read or write the signing key " + keyFile, e);
                }
            }
            return signingKey;
        }
    }

    private KeyPair loadOrCreateKeys(Path file) throws IOException, java.security.GeneralSecurityException {
        java.security.KeyFactory factory = java.security.KeyFactory.getInstance("Ed25519");
        if (Files.exists(file)) {
            Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            Base64.Decoder d = Base64.getDecoder();
            return new KeyPair(
                    factory.generatePublic(new java.security.spec.X509EncodedKeySpec(d.decode((String) m.get("public")))),
                    factory.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(d.decode((String) m.get("private")))));
        }
        KeyPair k = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("public", Base64.getEncoder().encodeToString(k.getPublic().getEncoded()));
        m.put("private", Base64.getEncoder().encodeToString(k.getPrivate().getEncoded()));
        writeAtomically(file, Json.write(m), true);
        return k;
    }

    /** Loads the subscriptions saved under {@link #folder}; a file that cannot be read is logged and skipped. */
    private void load() {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().forEach(f -> {
                try {
                    Sub sub = restore((Map<?, ?>) Json.parse(Files.readString(f, StandardCharsets.UTF_8)));
                    subscriptions.put(sub.root + "\0" + sub.id, sub);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("subscription file {} is unreadable, skipped: {}", f, e.toString());
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + folder, e);
        }
        if (!subscriptions.isEmpty()) {
            LOG.info("{} subscriptions loaded from {}", subscriptions.size(), folder);
        }
    }

    private Sub restore(Map<?, ?> m) {
        List<String> explicit = new ArrayList<>();
        for (Object o : (List<?>) m.get("explicit")) {
            explicit.add((String) o);
        }
        Sub sub = new Sub((String) m.get("root"), (String) m.get("id"), (String) m.get("type"),
                (String) m.get("pattern"), explicit, (String) m.get("webhook_url"), (String) m.get("wake_stream"),
                ((Number) m.get("lease_ttl_ms")).longValue(), (String) m.get("description"),
                (String) m.get("base_url"), (String) m.get("config"), (String) m.get("created_at"));
        sub.generation = ((Number) m.get("generation")).longValue();
        for (Object o : (List<?>) m.get("links")) {
            Map<?, ?> l = (Map<?, ?>) o;
            Link link = new Link(((Number) l.get("acked")).longValue());
            link.explicit = Boolean.TRUE.equals(l.get("explicit"));
            link.glob = Boolean.TRUE.equals(l.get("glob"));
            sub.links.put((String) l.get("path"), link);
        }
        return sub;
    }

    /**
     * Writes {@code sub}'s durable state (configuration, links, acknowledged offsets, generation). Caller
     * holds sub. A failure is logged: the subscription goes on in memory.
     */
    private void persist(Sub sub) {
        if (sub.deleted) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("root", sub.root);
        m.put("id", sub.id);
        m.put("type", sub.type);
        m.put("pattern", sub.pattern);
        m.put("explicit", new ArrayList<>(sub.explicit));
        m.put("webhook_url", sub.webhookUrl);
        m.put("wake_stream", sub.wakeStream);
        m.put("lease_ttl_ms", sub.leaseMs);
        m.put("description", sub.description);
        m.put("base_url", sub.baseUrl);
        m.put("config", sub.config);
        m.put("created_at", sub.createdAt);
        m.put("generation", sub.generation);
        List<Map<String, Object>> links = new ArrayList<>();
        sub.links.forEach((p, l) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", p);
            e.put("explicit", l.explicit);
            e.put("glob", l.glob);
            e.put("acked", l.acked);
            links.add(e);
        });
        m.put("links", links);
        try {
            writeAtomically(file(sub), Json.write(m), fsync);
        } catch (IOException e) {
            LOG.error("subscription {}: saving its state failed; a restart would lose it", sub.id, e);
        }
    }

    private void unpersist(Sub sub) {
        try {
            Files.deleteIfExists(file(sub));
        } catch (IOException e) {
            LOG.error("subscription {}: removing its saved state failed", sub.id, e);
        }
    }

    /** The file of a subscription: a digest of its key, so any root and id make a safe file name. */
    private Path file(Sub sub) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((sub.root + "\0" + sub.id)
                    .getBytes(StandardCharsets.UTF_8));
            return folder.resolve(java.util.HexFormat.of().formatHex(d, 0, 16) + ".json");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces {@code target} with {@code text}: a new file first, then an atomic rename. */
    private static void writeAtomically(Path target, String text, boolean force) throws IOException {
        Path folder = target.getParent();
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder);
            if (force) {
                StreamStore.syncDirectory(folder.getParent()); // the new folder's own entry
            }
        }
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the folder's permissions apply
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            if (force) {
                ch.force(true);
            }
        }
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        if (force) {
            StreamStore.syncDirectory(folder);
        }
    }

    /** Stops the timer; subscriptions stop waking. */
    private synchronized void shutdown() {
        subscriptions.clear();
        if (timer != null) {
            timer.shutdownNow();
        }
        sender.close();
    }

    /** One subscription's configuration and delivery state. */
    private final class Sub {
        final String root;
        final String id;
        final String type;
        final String pattern;
        final String webhookUrl;
        final String wakeStream;
        final long leaseMs;
        final String description;
        final String baseUrl;
        final String createdAt;
        final String config;
        // Guarded by this.
        final Set<String> explicit = new LinkedHashSet<>();
        final Map<String, Link> links = new LinkedHashMap<>();
        long generation;
        String wakeId;
        String token;
        String holder;
        boolean wakeInFlight;
        boolean deleted;
        boolean failed;
        long retryMs = 1000;
        ScheduledFuture<?> lease;
        Map<String, Long> snapshot = Map.of();

        Sub(String root, String id, String type, String pattern, List<String> explicit, String webhookUrl,
                String wakeStream, long leaseMs, String description, String baseUrl, String config,
                String createdAt) {
            this.root = root;
            this.id = id;
            this.type = type;
            this.pattern = pattern;
            this.explicit.addAll(explicit);
            this.webhookUrl = webhookUrl;
            this.wakeStream = wakeStream;
            this.leaseMs = leaseMs;
            this.description = description;
            this.baseUrl = baseUrl;
            this.config = config;
            this.createdAt = createdAt;
        }

        String url(String rest) {
            return baseUrl + root + "/" + PREFIX + "/" + rest;
        }
    }

    /** A linked stream. */
    private static final class Link {
        boolean explicit;
        boolean glob;
        long acked;

        Link(long acked) {
            this.acked = acked;
        }
    }

    /** Handles {@code root/__ds/rest}. */
    void handle(ChannelHandlerContext ctx, FullHttpRequest request, String root, String rest) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpMethod method = request.method();
        try {
            if (rest.equals("jwks.json") && (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))) {
                Map<String, Object> key = new LinkedHashMap<>();
                key.put("kty", "OKP");
                key.put("crv", "Ed25519");
                SigningKey k = signingKey();
                key.put("kid", k.kid());
                key.put("use", "sig");
                key.put("alg", "EdDSA");
                key.put("x", k.publicX());
                FullHttpResponse r = json(HttpResponseStatus.OK, Map.of("keys", List.of(key)));
                r.headers().set(CONTENT_TYPE, "application/jwk-set+json").set(CACHE_CONTROL, "public, max-age=300");
                send(ctx, r, keepAlive);
                return;
            }
            if (!rest.startsWith("subscriptions/")) {
                send(ctx, error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such control API: " + rest), keepAlive);
                return;
            }
            String tail = rest.substring("subscriptions/".length());
            int slash = tail.indexOf('/');
            String id = slash < 0 ? tail : tail.substring(0, slash);
            String action = slash < 0 ? "" : tail.substring(slash + 1);
            if (id.isEmpty()) {
                send(ctx, error(HttpResponseStatus.BAD_REQUEST, "INVALID_REQUEST", "no subscription id"), keepAlive);
                return;
            }
            String key = root + "\0" + id;
            String body = request.content().toString(StandardCharsets.UTF_8);
            String host = request.headers().get(io.netty.handler.codec.http.HttpHeaderNames.HOST, "localhost");
            FullHttpResponse r;
            if (action.isEmpty() && HttpMethod.PUT.equals(method)) {
                r = create(root, id, key, body, (Transport.secure(ctx.channel()) ? "https://" : "http://") + host);
            } else {
                Sub sub = subscriptions.get(key);
                if (sub == null) {
                    r = error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such subscription: " + id);
                } else if (action.isEmpty() && HttpMethod.GET.equals(method)) {
                    r = json(HttpResponseStatus.OK, describe(sub));
                } else if (action.isEmpty() && HttpMethod.DELETE.equals(method)) {
                    subscriptions.remove(key, sub);
                    synchronized (sub) {
                        sub.deleted = true;
                        clearWake(sub);
                        unpersist(sub);
                    }
                    r = empty(HttpResponseStatus.NO_CONTENT);
                } else if (action.equals("streams") && HttpMethod.POST.equals(method)) {
                    r = addStreams(sub, body);
                } else if (action.startsWith("streams/") && HttpMethod.DELETE.equals(method)) {
                    String path = action.substring("streams/".length());
                    synchronized (sub) {
                        sub.explicit.remove(path);
                        Link l = sub.links.get(path);
                        if (l != null) {
                            l.explicit = false;
                            if (!l.glob) {
                                sub.links.remove(path);
                            }
                        }
                        persist(sub);
                    }
                    r = empty(HttpResponseStatus.NO_CONTENT);
                } else if (HttpMethod.POST.equals(method) && (action.equals("callback") || action.equals("ack"))) {
                    r = ack(sub, request.headers().get("Authorization"), body);
                } else if (HttpMethod.POST.equals(method) && action.equals("claim")) {
                    r = claim(sub, body);
                } else if (HttpMethod.POST.equals(method) && action.equals("release")) {
                    r = release(sub, request.headers().get("Authorization"), body);
                } else {
                    r = error(HttpResponseStatus.NOT_FOUND, "NOT_FOUND", "no such subscription API: " + action);
                }
            }
            send(ctx, r, keepAlive);
        } catch (IllegalArgumentException | ClassCastException e) {
            send(ctx, error(HttpResponseStatus.BAD_REQUEST, "INVALID_REQUEST", String.valueOf(e.getMessage())),
                    keepAlive);
        }
    }

    private FullHttpResponse create(String root, String id, String key, String body, String baseUrl) {
        Map<?, ?> m = (Map<?, ?>) Json.parse(body);
        String type = (String) m.get("type");
        if (!"webhook".equals(type) && !"pull-wake".equals(type)) {
            throw new IllegalArgumentException("type must be webhook or pull-wake");
        }
        String pattern = (String) m.get("pattern");
        List<String> explicit = new ArrayList<>();
        if (m.get("streams") != null) {
            for (Object o : (List<?>) m.get("streams")) {
                explicit.add(normalize((String) o));
            }
        }
        if (pattern == null && explicit.isEmpty()) {
            throw new IllegalArgumentException("pattern or streams is required");
        }
        String webhookUrl = null;
        if (type.equals("webhook")) {
            Map<?, ?> webhook = (Map<?, ?>) m.get("webhook");
            webhookUrl = webhook == null ? null : (String) webhook.get("url");
            if (webhookUrl == null) {
                throw new IllegalArgumentException("webhook.url is required");
            }
            String why = targets.refusalAtCreation(webhookUrl);
            if (why != null) {
                refusals.count(Refusals.Reason.WEBHOOK_TARGET);
                return error(HttpResponseStatus.BAD_REQUEST, "WEBHOOK_URL_REJECTED", why);
            }
        }
        String wakeStream = (String) m.get("wake_stream");
        if (type.equals("pull-wake") && wakeStream == null) {
            throw new IllegalArgumentException("wake_stream is required");
        }
        long leaseMs = m.get("lease_ttl_ms") == null ? DEFAULT_LEASE_MS : ((Number) m.get("lease_ttl_ms")).longValue();
        if (leaseMs < 1000 || leaseMs > 600_000) {
            throw new IllegalArgumentException("lease_ttl_ms must be from 1000 to 600000");
        }
        String description = (String) m.get("description");
        String config = Json.write(Arrays.asList(type, pattern, new ArrayList<>(new TreeSet<>(explicit)), webhookUrl,
                wakeStream, leaseMs, description));
        Sub sub = new Sub(root, id, type, pattern, explicit, webhookUrl, wakeStream == null ? null
                : normalize(wakeStream), leaseMs, description, baseUrl, config, Instant.now().toString());
        Sub existing = subscriptions.putIfAbsent(key, sub);
        if (existing != null) {
            if (!existing.config.equals(config)) {
                return error(HttpResponseStatus.CONFLICT, "SUBSCRIPTION_CONFLICT",
                        "subscription " + id + " exists with a different configuration");
            }
            return json(HttpResponseStatus.OK, describe(existing));
        }
        synchronized (sub) {
            for (String p : explicit) {
                sub.links.computeIfAbsent(p, x -> new Link(tail(sub, x))).explicit = true;
            }
            if (pattern != null) {
                backfill(sub);
            }
            persist(sub);
        }
        return json(HttpResponseStatus.CREATED, describe(sub));
    }

    private FullHttpResponse addStreams(Sub sub, String body) {
        Map<?, ?> m = (Map<?, ?>) Json.parse(body);
        synchronized (sub) {
            for (Object o : (List<?>) m.get("streams")) {
                String p = normalize((String) o);
                sub.explicit.add(p);
                sub.links.computeIfAbsent(p, x -> new Link(tail(sub, x))).explicit = true;
            }
            persist(sub);
        }
        return empty(HttpResponseStatus.NO_CONTENT);
    }

    private FullHttpResponse claim(Sub sub, String body) {
        Map<?, ?> m = body.isBlank() ? Map.of() : (Map<?, ?>) Json.parse(body);
        String worker = m.get("worker") == null ? "worker" : String.valueOf(m.get("worker"));
        synchronized (sub) {
            if (sub.holder != null) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("code", "ALREADY_CLAIMED");
                e.put("current_holder", sub.holder);
                e.put("generation", sub.generation);
                return json(HttpResponseStatus.CONFLICT, Map.of("error", e));
            }
            if (!sub.wakeInFlight) {
                newWake(sub);
            }
            sub.holder = worker;
            sub.token = token();
            List<Map<String, Object>> snapshot = snapshot(sub);
            extendLease(sub);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("wake_id", sub.wakeId);
            r.put("generation", sub.generation);
            r.put("token", sub.token);
            r.put("streams", snapshot);
            r.put("lease_ttl_ms", sub.leaseMs);
            return json(HttpResponseStatus.OK, r);
        }
    }

    private FullHttpResponse ack(Sub sub, String authorization, String body) {
        Map<?, ?> m = (Map<?, ?>) Json.parse(body);
        boolean next;
        synchronized (sub) {
            if (!current(sub, authorization, m)) {
                return fenced();
            }
            if (m.get("acks") != null) {
                for (Object o : (List<?>) m.get("acks")) {
                    Map<?, ?> a = (Map<?, ?>) o;
                    acknowledge(sub, normalize((String) a.get("stream")), (String) a.get("offset"));
                }
                persist(sub);
            }
            if (!Boolean.TRUE.equals(m.get("done"))) {
                extendLease(sub);
                return json(HttpResponseStatus.OK, Map.of("ok", true, "next_wake", pending(sub)));
            }
            clearWake(sub);
            next = pending(sub);
        }
        if (next) {
            schedule(() -> maybeWake(sub), 0);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        r.put("next_wake", next);
        return json(HttpResponseStatus.OK, r);
    }

    private FullHttpResponse release(Sub sub, String authorization, String body) {
        Map<?, ?> m = (Map<?, ?>) Json.parse(body);
        synchronized (sub) {
            if (!current(sub, authorization, m)) {
                return fenced();
            }
            clearWake(sub);
        }
        schedule(() -> maybeWake(sub), 0);
        return empty(HttpResponseStatus.NO_CONTENT);
    }

    /** True if the request's token, generation and wake id are the current wake's. Caller holds sub. */
    private static boolean current(Sub sub, String authorization, Map<?, ?> m) {
        String token = authorization != null && authorization.startsWith("Bearer ")
                ? authorization.substring("Bearer ".length()).trim() : null;
        Object gen = m.get("generation");
        return !sub.deleted && sub.token != null && sub.token.equals(token) && sub.wakeId != null
                && sub.wakeId.equals(m.get("wake_id")) && gen instanceof Number n && n.longValue() == sub.generation;
    }

    private void acknowledge(Sub sub, String path, String offset) {
        Link l = sub.links.get(path);
        if (l == null || offset == null) {
            return;
        }
        try {
            long pos = Offsets.parse(offset, Long.MAX_VALUE);
            l.acked = Math.max(l.acked, pos);
        } catch (InvalidOffsetException e) {
            throw new IllegalArgumentException("bad offset " + offset);
        }
    }

    /** A stream changed (on the writer's thread): link it if it matches, and wake whom it concerns. */
    private void changed(Path file) {
        if (subscriptions.isEmpty()) {
            return;
        }
        Path rel = streams.store().root().relativize(file);
        String path = "/" + rel.toString().replace(java.io.File.separatorChar, '/');
        schedule(() -> {
            for (Sub sub : subscriptions.values()) {
                if (!path.startsWith(sub.root + "/")) {
                    continue;
                }
                String p = path.substring(sub.root.length() + 1);
                boolean wake = false;
                synchronized (sub) {
                    Link l = sub.links.get(p);
                    if (l == null && sub.pattern != null && glob(sub.pattern, p)) {
                        l = new Link(0); // discovered by this change: everything in it is pending
                        l.glob = true;
                        sub.links.put(p, l);
                        persist(sub);
                    }
                    wake = l != null;
                }
                if (wake) {
                    maybeWake(sub);
                }
            }
        }, 0);
    }

    /** Issues a wake if the subscription is idle and has pending work. */
    private void maybeWake(Sub sub) {
        String body = null;
        List<String> wakeEvents = new ArrayList<>();
        long generation;
        synchronized (sub) {
            if (sub.deleted || sub.wakeInFlight || sub.holder != null || !pending(sub)) {
                return;
            }
            newWake(sub);
            generation = sub.generation;
            List<Map<String, Object>> snapshot = snapshot(sub);
            if (sub.type.equals("webhook")) {
                sub.token = token();
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("subscription_id", sub.id);
                b.put("wake_id", sub.wakeId);
                b.put("generation", sub.generation);
                b.put("streams", snapshot);
                b.put("callback_url", sub.url("subscriptions/" + sub.id + "/callback"));
                b.put("callback_token", sub.token);
                body = Json.write(b);
                extendLease(sub);
            } else {
                for (Map<String, Object> s : snapshot) {
                    if (Boolean.TRUE.equals(s.get("has_pending"))) {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("type", "wake");
                        e.put("subscription_id", sub.id);
                        e.put("stream", s.get("path"));
                        e.put("generation", sub.generation);
                        e.put("ts", System.currentTimeMillis());
                        wakeEvents.add(Json.write(e));
                    }
                }
            }
        }
        if (body != null) {
            deliver(sub, generation, body);
        }
        if (!wakeEvents.isEmpty()) {
            try {
                streams.append(sub.root + "/" + sub.wakeStream, new DurableStreams.AppendRequest("application/json",
                        null, null, false, ("[" + String.join(",", wakeEvents) + "]").getBytes(StandardCharsets.UTF_8)))
                        .whenComplete((a, e) -> {
                            if (e != null) {
                                LOG.warn("subscription {}: writing a wake event to {} failed: {}", sub.id,
                                        sub.wakeStream, e.getMessage());
                            }
                        });
            } catch (IOException e) {
                LOG.warn("subscription {}: writing a wake event to {} failed: {}", sub.id, sub.wakeStream,
                        e.getMessage());
            }
        }
    }

    private void deliver(Sub sub, long generation, String body) {
        String timestamp = Long.toString(System.currentTimeMillis() / 1000);
        String signature;
        try {
            Signature s = Signature.getInstance("Ed25519");
            SigningKey k = signingKey();
            s.initSign(k.keys().getPrivate());
            s.update((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            signature = "t=" + timestamp + ",kid=" + k.kid() + ",ed25519=" + b64url(s.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        URI url = URI.create(sub.webhookUrl);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Webhook-Signature", signature);
        java.util.concurrent.CompletableFuture<WebhookSender.Response> sent = sender.post(url, headers,
                body.getBytes(StandardCharsets.UTF_8)).whenComplete((response, failure) -> {
                    Throwable cause = failure instanceof java.util.concurrent.CompletionException
                            ? failure.getCause() : failure;
                    if (cause instanceof RefusedTargetException) {
                        refusals.count(Refusals.Reason.WEBHOOK_TARGET);
                        LOG.warn("subscription {}: webhook not sent: {}", sub.id, cause.getMessage());
                    } else if (cause != null) {
                        LOG.info("subscription {}: webhook to {} failed: {}", sub.id, url.getHost(), cause.toString());
                    } else if (response.status() / 100 == 3) {
                        refusals.count(Refusals.Reason.WEBHOOK_TARGET);
                        LOG.warn("subscription {}: webhook answered {}: redirects are not followed", sub.id,
                                response.status());
                    }
                });
        sent.whenComplete((response, failure) -> {
            boolean again = false;
            synchronized (sub) {
                if (sub.deleted || sub.generation != generation || !sub.wakeInFlight) {
                    return;
                }
                if (failure != null || response.status() / 100 != 2) {
                    sub.failed = true;
                    long delay = sub.retryMs + (long) (sub.retryMs * 0.2 * random.nextDouble());
                    sub.retryMs = Math.min(60_000, sub.retryMs * 2);
                    schedule(() -> {
                        synchronized (sub) {
                            if (sub.deleted || sub.generation != generation || !sub.wakeInFlight) {
                                return;
                            }
                        }
                        deliver(sub, generation, body);
                    }, delay);
                    return;
                }
                sub.failed = false;
                sub.retryMs = 1000;
                Object reply;
                try {
                    reply = response.body().isBlank() ? null : Json.parse(response.body());
                } catch (IllegalArgumentException e) {
                    reply = null;
                }
                if (reply instanceof Map<?, ?> r && Boolean.TRUE.equals(r.get("done"))) {
                    sub.snapshot.forEach((p, tail) -> {
                        Link l = sub.links.get(p);
                        if (l != null) {
                            l.acked = Math.max(l.acked, tail);
                        }
                    });
                    persist(sub);
                    clearWake(sub);
                    again = pending(sub);
                }
            }
            if (again) {
                maybeWake(sub);
            }
        });
    }

    /** Starts a new wake generation. Caller holds sub. */
    private void newWake(Sub sub) {
        sub.generation++;
        sub.wakeId = "w_" + token().substring(0, 12);
        sub.wakeInFlight = true;
        persist(sub); // the generation never goes back, even across a restart
    }

    /** Ends the current wake and lease. Caller holds sub. */
    private static void clearWake(Sub sub) {
        sub.wakeInFlight = false;
        sub.wakeId = null;
        sub.token = null;
        sub.holder = null;
        if (sub.lease != null) {
            sub.lease.cancel(false);
            sub.lease = null;
        }
    }

    /** (Re)starts the lease timer of the current wake. Caller holds sub. */
    private void extendLease(Sub sub) {
        if (sub.lease != null) {
            sub.lease.cancel(false);
        }
        long generation = sub.generation;
        sub.lease = schedule(() -> {
            synchronized (sub) {
                if (sub.generation != generation || !sub.wakeInFlight) {
                    return;
                }
                clearWake(sub);
            }
            maybeWake(sub);
        }, sub.leaseMs);
    }

    /** The linked streams with their tails; remembers the tails as the wake's snapshot. Caller holds sub. */
    private List<Map<String, Object>> snapshot(Sub sub) {
        List<Map<String, Object>> list = new ArrayList<>();
        Map<String, Long> tails = new LinkedHashMap<>();
        sub.links.forEach((p, l) -> {
            long tail = tail(sub, p);
            tails.put(p, tail);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("path", p);
            s.put("link_type", l.explicit ? "explicit" : "glob");
            s.put("acked_offset", Offsets.format(l.acked));
            s.put("tail_offset", Offsets.format(tail));
            s.put("has_pending", tail > l.acked);
            list.add(s);
        });
        sub.snapshot = tails;
        return list;
    }

    private boolean pending(Sub sub) {
        for (Map.Entry<String, Link> e : sub.links.entrySet()) {
            if (tail(sub, e.getKey()) > e.getValue().acked) {
                return true;
            }
        }
        return false;
    }

    private long tail(Sub sub, String path) {
        try {
            DurableStreams.Snapshot s = streams.snapshot(sub.root + "/" + path);
            return s == null ? 0 : s.tail();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Links the existing streams that match the pattern, at their tails. Caller holds sub. */
    private void backfill(Sub sub) {
        Path base;
        try {
            base = streams.store().locate(sub.root.isEmpty() ? "/" : sub.root);
        } catch (IOException e) {
            return;
        }
        if (!Files.isDirectory(base)) {
            return;
        }
        Path metaDir = streams.store().root().resolve(MetadataStore.FOLDER);
        try (Stream<Path> files = Files.walk(base)) {
            files.filter(f -> !f.startsWith(metaDir) && Files.isRegularFile(f)).forEach(f -> {
                String p = base.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                if (glob(sub.pattern, p) && !p.startsWith(PREFIX + "/")) {
                    sub.links.computeIfAbsent(p, x -> new Link(tail(sub, x))).glob = true;
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("subscription {}: listing streams under {} failed: {}", sub.id, base, e.getMessage());
        }
    }

    private Map<String, Object> describe(Sub sub) {
        synchronized (sub) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", sub.id);
            r.put("subscription_id", sub.id);
            r.put("type", sub.type);
            r.put("pattern", sub.pattern);
            List<Map<String, Object>> links = new ArrayList<>();
            sub.links.forEach((p, l) -> {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("path", p);
                s.put("link_type", l.explicit ? "explicit" : "glob");
                s.put("acked_offset", Offsets.format(l.acked));
                links.add(s);
            });
            r.put("streams", links);
            if (sub.webhookUrl != null) {
                Map<String, Object> signing = new LinkedHashMap<>();
                signing.put("alg", "ed25519");
                signing.put("kid", signingKey().kid());
                signing.put("jwks_url", sub.url("jwks.json"));
                Map<String, Object> webhook = new LinkedHashMap<>();
                webhook.put("url", sub.webhookUrl);
                webhook.put("signing", signing);
                r.put("webhook", webhook);
            } else {
                r.put("webhook", null);
            }
            r.put("wake_stream", sub.wakeStream);
            r.put("lease_ttl_ms", sub.leaseMs);
            r.put("created_at", sub.createdAt);
            r.put("status", sub.failed ? "failed" : "active");
            r.put("description", sub.description);
            return r;
        }
    }

    /** {@code *} matches within one segment, {@code **} any number of segments. */
    static boolean glob(String pattern, String path) {
        return glob(pattern.split("/"), 0, path.split("/"), 0);
    }

    private static boolean glob(String[] pat, int i, String[] path, int j) {
        if (i == pat.length) {
            return j == path.length;
        }
        if (pat[i].equals("**")) {
            return glob(pat, i + 1, path, j) || (j < path.length && glob(pat, i, path, j + 1));
        }
        if (j == path.length) {
            return false;
        }
        String regex = Arrays.stream(pat[i].split("\\*", -1)).map(Pattern::quote)
                .reduce((a, b) -> a + "[^/]*" + b).orElse("");
        return path[j].matches(regex) && glob(pat, i + 1, path, j + 1);
    }

    private static String normalize(String path) {
        String p = Objects.requireNonNull(path, "stream path");
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    private String token() {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return b64url(b);
    }

    private static String b64url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        ScheduledExecutorService t = timer;
        if (t != null && t.isShutdown()) {
            return null;
        }
        if (t == null) {
            synchronized (this) {
                if (timer == null) {
                    timer = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread th = new Thread(r, "httpfstream-subscriptions");
                        th.setDaemon(true);
                        return th;
                    });
                }
                t = timer;
            }
        }
        return t.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("subscription task failed", e);
            }
        }, delayMs, TimeUnit.MILLISECONDS);
    }

    private static FullHttpResponse fenced() {
        return error(HttpResponseStatus.CONFLICT, "FENCED", "stale wake: generation or wake id is not current");
    }

    private static FullHttpResponse error(HttpResponseStatus status, String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        return json(status, Map.of("error", e));
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(CONTENT_TYPE, "application/json").set(CONTENT_LENGTH, bytes.length)
                .set(CACHE_CONTROL, "no-store");
        return r;
    }

    private static FullHttpResponse empty(HttpResponseStatus status) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var f = ctx.writeAndFlush(r);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
