package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.subscriptions.Fixture.ackBody;
import static org.httpfstream.subscriptions.Fixture.bearer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.httpfstream.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Subscriptions kept in files: what is saved, when, on which thread, and what a restart finds. */
class SubscriptionStoreTest {
    @TempDir Path dir;
    SubscriptionStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private Path folder() {
        return dir.resolve("subscriptions");
    }

    private List<Path> files() throws Exception {
        if (!Files.isDirectory(folder())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder())) {
            return s.sorted().toList();
        }
    }

    private static Subscription sample() {
        Subscription sub = new Subscription(new SubscriptionConfig("/r", "id\0/..", "webhook", "a/*",
                List.of("x", "y"), "https://h.example/", null, 2000, "d", "http://b:1", "[cfg]", "2026-01-01T00:00:00Z"));
        sub.explicit.add("z");
        sub.generation = 41;
        Subscription.Link glob = new Subscription.Link(7);
        glob.glob = true;
        sub.links.put("a/b", glob);
        Subscription.Link both = new Subscription.Link(0);
        both.glob = true;
        both.explicit = true;
        sub.links.put("x", both);
        sub.links.put("y", new Subscription.Link(3));
        return sub;
    }

    @Nested
    class Files_ {
        @Test
        void aSavedSubscriptionIsLoadedAsItWas() throws Exception {
            store = SubscriptionStore.files(folder(), true);
            Subscription sub = sample();
            store.save(sub).get(5, TimeUnit.SECONDS);
            assertThat(files()).hasSize(1);
            Path file = files().get(0);
            assertThat(file.getFileName().toString()).matches("[0-9a-f]{32}\\.json");
            assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE);
            List<Subscription> loaded = SubscriptionStore.files(folder(), false).load();
            assertThat(loaded).hasSize(1);
            assertThat(SubscriptionStore.toMap(loaded.get(0))).isEqualTo(SubscriptionStore.toMap(sub));
            assertThat(loaded.get(0).config).usingRecursiveComparison().ignoringFields("explicit").isEqualTo(sub.config);
            assertThat(loaded.get(0).config.explicit()).containsExactly("x", "y", "z"); // as saved
            assertThat(Json.write(SubscriptionStore.toMap(sub))).isEqualTo(Files.readString(file));
        }

        @Test
        void theLatestSaveWinsAndARemovalDeletesTheFile() throws Exception {
            store = SubscriptionStore.files(folder(), false);
            Subscription sub = sample();
            var first = store.save(sub);
            sub.generation = 42;
            var second = store.save(sub);
            second.get(5, TimeUnit.SECONDS);
            assertThat(first).isDone();
            assertThat(store.load().get(0).generation).isEqualTo(42);
            sub.deleted = true;
            assertThat(store.save(sub)).isDone();
            assertThat(store.load().get(0).generation).isEqualTo(42);
            store.remove(sub).get(5, TimeUnit.SECONDS);
            assertThat(files()).isEmpty();
            store.remove(sub).get(5, TimeUnit.SECONDS); // already gone: fine
        }

        @Test
        void savesAreWrittenOnTheStoresOwnThread() throws Exception {
            store = SubscriptionStore.files(folder(), false);
            String thread = store.save(sample()).thenApply(v -> Thread.currentThread().getName())
                    .get(5, TimeUnit.SECONDS);
            assertThat(thread).isIn("httpfstream-subscriptions-store", Thread.currentThread().getName());
            assertThat(Thread.currentThread().getName()).isNotEqualTo("httpfstream-subscriptions-store");
        }

        @Test
        void anUnreadableFileIsSkippedAndTheOthersLoad() throws Exception {
            store = SubscriptionStore.files(folder(), false);
            store.save(sample()).get(5, TimeUnit.SECONDS);
            Files.writeString(folder().resolve("0.json"), "{\"root\":", StandardCharsets.UTF_8);
            Files.writeString(folder().resolve("1.json"), "{}", StandardCharsets.UTF_8);
            Files.writeString(folder().resolve("note.txt"), Json.write(SubscriptionStore.toMap(sample())),
                    StandardCharsets.UTF_8); // valid, but not a .json file
            assertThat(store.load()).hasSize(1);
        }

        @Test
        void aFolderThatIsAFileFailsTheSaveButNotTheCaller() throws Exception {
            Files.writeString(folder(), "in the way");
            store = SubscriptionStore.files(folder(), false);
            store.save(sample()).get(5, TimeUnit.SECONDS);
            assertThat(Files.isRegularFile(folder())).isTrue();
        }

        @Test
        void aClosedStoreWritesWhatWasPendingAndNothingAfter() throws Exception {
            store = SubscriptionStore.files(folder(), false);
            var pending = store.save(sample());
            store.close();
            assertThat(pending).isDone();
            assertThat(files()).hasSize(1);
            Subscription other = new Subscription(new SubscriptionConfig("/r", "other", "pull-wake", "a", List.of(),
                    null, "w", 1000, null, "h", "c", "t"));
            store.save(other).get(5, TimeUnit.SECONDS);
            store.remove(sample()).get(5, TimeUnit.SECONDS);
            assertThat(files()).hasSize(1);
        }
    }

    @Test
    void aMemoryStoreKeepsNothing() throws Exception {
        store = SubscriptionStore.memory();
        assertThat(store.save(sample())).isDone();
        assertThat(store.remove(sample())).isDone();
        assertThat(store.load()).isEmpty();
        assertThat(files()).isEmpty();
    }

    @Nested
    class Restarts {
        /** Subscriptions on a file store (no fsync), pull-wake subscription s1 on logs/*; logs/a has 5 bytes. */
        Fixture pullingOnFiles() {
            Fixture f = new Fixture();
            f.streams.with("/logs/a", 5);
            store = SubscriptionStore.files(folder(), false);
            f.start(store);
            f.pullWake("s1", "logs/*");
            return f;
        }

        @Test
        void aRestartKeepsSubscriptionsFencesOldWakesAndWakesWhatIsPending() throws Exception {
            Fixture f = pullingOnFiles();
            Map<String, Object> wake = f.claim("s1");
            f.streams.with("/logs/a", 8);
            Map<String, Object> before = f.ok(f.subscriptions.describe("", "s1"));
            f.subscriptions.close();

            Fixture g = new Fixture();
            g.streams.tails.putAll(f.streams.tails);
            store = SubscriptionStore.files(folder(), false);
            g.start(store);
            assertThat(g.subscriptions.exists("", "s1")).isTrue();
            g.settle(() -> !g.streams.appended.isEmpty()); // the pending bytes of logs/a wake at once
            assertThat(g.wakeEvents()).hasSize(1).first().satisfies(e ->
                    assertThat(e.get("generation")).isEqualTo(2L));
            assertThat(g.ok(g.subscriptions.describe("", "s1"))).isEqualTo(before);
            assertThat(g.failure(g.subscriptions.ack("", "s1", bearer(wake), ackBody(wake, ""))))
                    .isInstanceOf(FencedException.class);
        }

        @Test
        void anAcknowledgedOffsetSurvivesARestart() throws Exception {
            Fixture f = pullingOnFiles();
            f.streams.grow("/logs/a", 4);
            Map<String, Object> wake = f.claim("s1");
            f.ok(f.subscriptions.ack("", "s1", bearer(wake),
                    ackBody(wake, ",\"acks\":[{\"stream\":\"logs/a\",\"offset\":\"0000000000000009\"}]")));
            f.subscriptions.close();
            Subscription loaded = SubscriptionStore.files(folder(), false).load().get(0);
            assertThat(loaded.links.get("logs/a").acked).isEqualTo(9);
            assertThat(loaded.generation).isEqualTo(1);
        }
    }
}
