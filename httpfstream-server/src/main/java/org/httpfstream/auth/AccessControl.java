package org.httpfstream.auth;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Decides who may do what: grant file, signed links and per-token rates together, without any
 * transport. The server asks it once per request, before anything is upgraded or stored.
 *
 * <p>Thread safety: safe for use by any thread; the grants are replaced whole on a reload, and a
 * request decided under the old grants keeps its decision.
 */
public final class AccessControl implements Closeable {
    private final TokenFile tokens;
    private final SignedLinks links;
    private final Rate defaults;
    private final Rates rates = new Rates();
    private final LongSupplier nanoTime;

    AccessControl(TokenFile tokens, SignedLinks links, Rate defaults, LongSupplier nanoTime) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.links = Objects.requireNonNull(links, "links");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.nanoTime = nanoTime;
    }

    /**
     * Reads the grant file and the link key and starts polling the file.
     *
     * @param metadataFolder where the link key is kept when {@code config.linkKey()} is null
     * @throws IOException if the grant file or the key cannot be read, or the key not made
     * @throws GrantFileException at the grant file's first bad line
     */
    public static AccessControl start(AuthConfig config, Path metadataFolder) throws IOException, GrantFileException {
        TokenFile tokens = TokenFile.open(config.tokens());
        Path key = config.linkKey() != null ? config.linkKey() : metadataFolder.resolve(SignedLinks.KEY_FILE);
        SignedLinks links = SignedLinks.load(key, Clock.systemUTC());
        tokens.poll(config.pollInterval());
        return new AccessControl(tokens, links, config.rate(), System::nanoTime);
    }

    /** Reads the grant file again now (as on SIGHUP); true if new grants are in force. */
    public boolean reloadTokens() {
        return tokens.reload();
    }

    /** The signed links of this server. */
    public SignedLinks links() {
        return links;
    }

    /**
     * Decides one request.
     *
     * @param token the bearer token it carried, or null
     * @param link the signed-link parameters it carried, or null
     * @param path the canonical path ({@link StreamPaths#canonical}) or scope it acts on
     * @param permission what it needs
     * @param bodyBytes the bytes it appends (its body), 0 if none
     */
    public Decision decide(String token, Link link, String path, Permission permission, long bodyBytes) {
        if (token == null && link != null) {
            String principal = "link:" + Tokens.fingerprint(link.signature() == null ? "" : link.signature());
            String why = links.check(path, link.scope(), link.expires(), link.signature());
            if (why == null && permission != Permission.READ) {
                why = "a signed link grants read only, not " + permission.label();
            }
            return why == null ? new Decision(Decision.Outcome.ALLOW, null, principal, 0, null)
                    : new Decision(Decision.Outcome.SIGNED_LINK, why, principal, 0, null);
        }
        if (token == null || token.isEmpty()) {
            return new Decision(Decision.Outcome.MISSING, "a token is needed (Authorization: Bearer TOKEN)",
                    "anonymous", 0, null);
        }
        List<Grant> grants = tokens.grants().of(token);
        if (grants.isEmpty()) {
            return new Decision(Decision.Outcome.MISSING, "unknown token " + Tokens.fingerprint(token),
                    "anonymous", 0, null);
        }
        Grant first = grants.get(0);
        String principal = "token:" + first.fingerprint();
        boolean allowed = false;
        Rate rate = null;
        for (Grant g : grants) {
            allowed |= g.allows(permission, path);
            if (rate == null) {
                rate = g.rate();
            }
        }
        if (!allowed) {
            return new Decision(Decision.Outcome.FORBIDDEN, "token " + first.fingerprint() + " may not "
                    + permission.label() + " " + path, principal, 0, null);
        }
        Rates.Buckets buckets = rates.of(first.digest(), rate == null ? defaults : rate.orElse(defaults),
                nanoTime.getAsLong());
        if (buckets == null) {
            return new Decision(Decision.Outcome.ALLOW, null, principal, 0, null);
        }
        long now = nanoTime.getAsLong();
        if (buckets.requests() != null) {
            long wait = buckets.requests().tryTake(1, now);
            if (wait > 0) {
                return rate(principal, "token " + first.fingerprint() + " is past its "
                        + buckets.requests().rate() + " requests per second", wait);
            }
        }
        if (buckets.bytes() != null && bodyBytes > 0) {
            long wait = buckets.bytes().tryTake(bodyBytes, now);
            if (wait > 0) {
                return rate(principal, "token " + first.fingerprint() + " is past its "
                        + buckets.bytes().rate() + " appended bytes per second", wait);
            }
        }
        return new Decision(Decision.Outcome.ALLOW, null, principal, 0,
                permission == Permission.APPEND ? buckets.bytes() : null);
    }

    /**
     * True if {@code token} (else the signed link {@code link}) may read {@code path} (canonical): the
     * same rule as {@link #decide}, without counting a request against any rate (for filtering a
     * listing entry by entry).
     */
    public boolean mayRead(String token, Link link, String path) {
        if (token == null && link != null) {
            return links.check(path, link.scope(), link.expires(), link.signature()) == null;
        }
        if (token == null || token.isEmpty()) {
            return false;
        }
        return tokens.grants().of(token).stream().anyMatch(g -> g.allows(Permission.READ, path));
    }

    private static Decision rate(String principal, String message, long waitNanos) {
        long seconds = Math.max(1, Duration.ofNanos(waitNanos).toSeconds()
                + (Duration.ofNanos(waitNanos).toNanosPart() > 0 ? 1 : 0));
        return new Decision(Decision.Outcome.RATE, message, principal, seconds, null);
    }

    /** The nanosecond clock buckets are filled by. */
    public long nanoTime() {
        return nanoTime.getAsLong();
    }

    /** Stops polling the grant file. */
    @Override
    public void close() {
        tokens.close();
    }

    /**
     * A signed link's parameters as the request carried them, decoded; any may be null.
     */
    public record Link(String expires, String scope, String signature) {}
}
