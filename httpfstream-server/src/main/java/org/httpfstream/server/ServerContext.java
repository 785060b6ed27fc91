package org.httpfstream.server;

import io.netty.channel.group.ChannelGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Objects;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.server.connection.TlsContexts;
import org.httpfstream.server.durable.DurableStreamsHandler;
import org.httpfstream.server.follow.FollowerGate;
import org.httpfstream.server.follow.FollowerQuota;
import org.httpfstream.server.guard.Authorizer;
import org.httpfstream.server.http.SseSettings;
import org.httpfstream.server.routing.HttpFStreamHandler;
import org.httpfstream.server.routing.OriginalProtocol;
import org.httpfstream.server.subscriptions.SubscriptionsHandler;
import org.httpfstream.server.viewer.LineReplies;
import org.httpfstream.server.viewer.ViewerHandler;
import org.httpfstream.server.viewer.ViewerJson;
import org.httpfstream.store.DaemonThreads;
import org.httpfstream.store.FileStorage;
import org.httpfstream.viewer.LineIndexes;
import org.httpfstream.viewer.StreamKeys;
import org.httpfstream.viewer.WriterStates;
import org.httpfstream.store.MetadataStore;
import org.httpfstream.store.Storage;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.StreamStore;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.subscriptions.DurableStreamAccess;
import org.httpfstream.subscriptions.Subscriptions;
import org.httpfstream.subscriptions.WebhookTargets;

/**
 * Everything the pipeline of a connection needs, built once per server by the composition root ({@link
 * #compose}) and handed to {@link HttpFStreamInitializer}: the settings and limits, the counters, the
 * TLS contexts, and the request router with its protocol handlers and their domain objects.
 *
 * <p>Thread safety: immutable; its components are thread safe.
 *
 * @param settings transport tunables
 * @param limits resource limits
 * @param refusals where refusals are counted
 * @param origins which browser pages may write
 * @param router the request handler of every connection and HTTP/2 stream (sharable)
 * @param tls the TLS contexts; null: cleartext, HTTP/1.1 or h2c
 * @param streams where HTTP/2 stream channels are registered (so that closing the server finds their
 *     followers); null: not registered
 * @param stats the transport's counts
 * @param accessLog true for one access-log line per request and WebSocket session
 */
public record ServerContext(HttpFStreamSettings settings, Limits limits, Refusals refusals, OriginPolicy origins,
        HttpFStreamHandler router, TlsContexts tls, ChannelGroup streams, ServerStats stats, boolean accessLog) {

    public ServerContext {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(refusals, "refusals");
        Objects.requireNonNull(origins, "origins");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(stats, "stats");
    }

    /** What the protocols are configured with: the builder's choices that are not the pipeline's. */
    record Protocols(HttpFStreamSettings settings, Limits limits, WebhookTargets webhooks, SseSettings sse,
            Duration viewerIdle) {
        /** How long a live writer may be silent before the viewer calls it idle, by default. */
        static final Duration VIEWER_IDLE = Duration.ofMillis(WriterStates.IDLE_MILLIS);

        /** The defaults of {@link HttpFStreamServerBuilder}, with {@code settings}. */
        static Protocols defaults(HttpFStreamSettings settings) {
            return new Protocols(settings, Limits.defaults(), WebhookTargets.publicOnly(), SseSettings.defaults(),
                    VIEWER_IDLE);
        }
    }

    /**
     * The composition root: builds the domain objects over {@code store} (the Durable Streams rules, the
     * webhook subscriptions, the live-reader quota) and the protocol handlers that use them, and counts
     * the store's refused appends into {@code refusals}. Every protocol's streams live in {@code storage}:
     * the files of {@code store} ({@code -store=file}, a {@link FileStorage} over it) or another store;
     * {@code store} keeps the server's own folder either way, and the webhook subscriptions there when
     * the streams are its files (else in memory, as the streams).
     */
    static HttpFStreamHandler compose(StreamStore store, Storage storage, Protocols protocols,
            Authorizer authorizer, Refusals refusals) {
        Limits limits = protocols.limits();
        DurableStreams streams = new DurableStreams(storage, store, Clock.systemUTC());
        boolean streamsInFiles = storage instanceof FileStorage files && files.files() == store;
        storage.addRefusalListener(e -> refusals.count(e instanceof StreamTooLargeException
                ? Refusals.Reason.STREAM_SIZE : Refusals.Reason.DISK_FULL));
        FollowerGate followers = new FollowerGate(
                new FollowerQuota(limits.maxFollowersPerStream(), limits.maxFollowers()), refusals);
        return new HttpFStreamHandler(authorizer,
                new OriginalProtocol(streams.storage(), streams, protocols.settings(), followers),
                new DurableStreamsHandler(streams, protocols.settings(), followers, protocols.sse()),
                new SubscriptionsHandler(subscriptions(streams, !streamsInFiles, protocols.webhooks(), refusals)),
                viewer(store, storage, streams, followers, protocols));
    }

    /**
     * The log viewer over {@code storage}: the streams' line indexes (under {@code ROOT/.httpfstream/lines}
     * when the streams are the files of {@code store}, else on the heap) and writer states, both told by
     * the store's one change notification (the file store's by file: its listener runs after every
     * commit on the writer's thread and must not resolve paths), and two threads for the index and file
     * work; all stopped when the store closes.
     */
    private static ViewerHandler viewer(StreamStore store, Storage storage, DurableStreams streams,
            FollowerGate followers, Protocols protocols) {
        boolean files = storage instanceof FileStorage f && f.files() == store;
        StreamKeys keys = files ? StreamKeys.byFile(store, storage) : StreamKeys.byPath(storage);
        LineIndexes indexes = new LineIndexes(storage, keys, files ? linePlaces(store) : null);
        WriterStates writers = new WriterStates(storage, keys, System::currentTimeMillis,
                protocols.viewerIdle().toMillis());
        indexes.sweep();
        listenForChanges(store, files ? null : storage, key -> { // on the writer's thread, after every commit
            writers.changed(key);
            indexes.changed(key);
        });
        ExecutorService work = Executors.newFixedThreadPool(2, DaemonThreads.numbered("httpfstream-viewer"));
        store.addCloseListener(() -> {
            work.shutdownNow();
            indexes.close();
        });
        LineReplies lines = new LineReplies(streams, indexes, followers, protocols.settings());
        return new ViewerHandler(lines, new ViewerJson(store, files ? null : storage, indexes, writers, lines), work);
    }

    /**
     * Calls {@code changed} with the key of every stream that changes ({@link StoredStream#key()}): the
     * file store's own events, by file (no path resolution per commit), or {@code elsewhere}'s.
     */
    private static void listenForChanges(StreamStore store, Storage elsewhere,
            java.util.function.Consumer<Object> changed) {
        if (elsewhere == null) {
            store.addChangeListener(changed::accept);
        } else {
            elsewhere.addChangeListener(changed::accept);
        }
    }

    /** Where the line indexes of the streams in {@code store}'s files go: {@code ROOT/.httpfstream/lines}. */
    private static LineIndexes.Places linePlaces(StreamStore store) {
        return new LineIndexes.Places() {
            @Override
            public Path file(StoredStream stream) throws IOException {
                return store.locate(stream.name());
            }

            @Override
            public Path base(Path file) {
                Path p = store.derivedFile("lines", file, ".idx.head.tmp"); // the longest name the index makes
                String name = p.getFileName().toString();
                return p.resolveSibling(name.substring(0, name.length() - ".head.tmp".length()));
            }

            @Override
            public Path folder() {
                return store.root().resolve(MetadataStore.FOLDER).resolve("lines");
            }
        };
    }

    /**
     * The webhook and pull-wake subscriptions over {@code streams}: kept in the store's metadata folder,
     * or in memory only when the streams are ({@code inMemory}).
     */
    private static Subscriptions subscriptions(DurableStreams streams, boolean inMemory, WebhookTargets webhooks,
            Refusals refusals) {
        Runnable refused = () -> refusals.count(Refusals.Reason.WEBHOOK_TARGET);
        return inMemory ? Subscriptions.open(new DurableStreamAccess(streams), null, null, false, webhooks, refused)
                : Subscriptions.open(streams, webhooks, refused);
    }

    /**
     * A context for mounting httpfstream into another Netty server: {@code store} with the default
     * limits, origins, webhook targets and SSE settings, everything open (no grant file), cleartext,
     * no access log.
     */
    public static ServerContext of(StreamStore store, HttpFStreamSettings settings) {
        Refusals refusals = new Refusals();
        return new ServerContext(settings, Limits.defaults(), refusals, OriginPolicy.sameOriginOnly(),
                compose(store, new FileStorage(store), Protocols.defaults(settings), Authorizer.open(refusals),
                        refusals), null, null,
                new ServerStats(), false);
    }
}
