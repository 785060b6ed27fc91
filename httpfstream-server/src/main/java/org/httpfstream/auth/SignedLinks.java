package org.httpfstream.auth;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed read links: query parameters that grant {@link Permission#READ} on one stream or prefix until
 * a time, checked by HMAC-SHA256 under a key only the server holds, with no state kept per link.
 *
 * <pre>
 *   ?link-expires=EPOCH_SECONDS&amp;link-scope=PATH_OR_PREFIX&amp;link-sig=BASE64URL(HMAC(key, "httpfstream-link-v1\n" + scope + "\n" + expires))
 * </pre>
 *
 * The scope is canonical ({@link StreamPaths#canonicalScope}); a link whose scope is a prefix ending
 * in {@code /} reads every stream under it, so one link serves a folder of logs.
 *
 * <p>Thread safety: immutable; safe for use by any thread.
 */
public final class SignedLinks {
    public static final String EXPIRES = "link-expires";
    public static final String SCOPE = "link-scope";
    public static final String SIGNATURE = "link-sig";
    /** The file under the metadata folder that holds the key when none is given. */
    public static final String KEY_FILE = "link.key";

    private static final String CONTEXT = "httpfstream-link-v1\n";

    private final SecretKeySpec key;
    private final Clock clock;

    public SignedLinks(byte[] key, Clock clock) {
        if (key.length < 16) {
            throw new IllegalArgumentException("key shorter than 16 bytes: " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.clock = clock;
    }

    /**
     * Reads the key from {@code file}, or when it does not exist creates it: 32 random bytes, readable
     * by the owner only.
     */
    public static SignedLinks load(Path file, Clock clock) throws IOException {
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                } else {
                    Files.createFile(file);
                }
                Files.write(file, key, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                return new SignedLinks(key, clock);
            } catch (FileAlreadyExistsException raced) {
                // another process made it first: read theirs
            }
        }
        byte[] key = Files.readAllBytes(file);
        if (key.length < 16) {
            throw new IOException("signed link key " + file + " holds " + key.length
                    + " bytes; at least 16 are needed");
        }
        return new SignedLinks(key, clock);
    }

    /**
     * The query parameters (without {@code ?}) of a link granting read on {@code scope} for {@code ttl}.
     *
     * @param scope an exact path or a prefix ending in {@code /}
     */
    public String sign(String scope, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl <= 0: " + ttl);
        }
        String canonical = StreamPaths.canonicalScope(scope);
        long expires = clock.instant().plus(ttl).getEpochSecond();
        return EXPIRES + "=" + expires + "&" + SCOPE + "=" + URLEncoder.encode(canonical, StandardCharsets.UTF_8)
                + "&" + SIGNATURE + "=" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(canonical, expires));
    }

    /**
     * Checks a link's parameters for a read of the canonical {@code path}.
     *
     * @param scope the decoded {@value #SCOPE} parameter, or null for {@code path} itself
     * @return null if the link grants read on {@code path} now, else why not, as one line
     */
    public String check(String path, String scope, String expires, String signature) {
        if (expires == null || signature == null) {
            return "signed link incomplete: it needs " + EXPIRES + " and " + SIGNATURE;
        }
        long exp;
        try {
            exp = Long.parseLong(expires);
        } catch (NumberFormatException e) {
            return "signed link signature does not match";
        }
        String s = scope == null ? path : scope;
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return "signed link signature does not match";
        }
        if (!MessageDigest.isEqual(given, mac(s, exp))) {
            return "signed link signature does not match";
        }
        if (!StreamPaths.covers(s, path)) {
            return "signed link is for " + s + ", not " + path;
        }
        Instant at = Instant.ofEpochSecond(exp);
        if (!clock.instant().isBefore(at)) {
            return "signed link expired at " + at;
        }
        return null;
    }

    /** What a valid link grants. */
    public static Set<Permission> grants() {
        return EnumSet.of(Permission.READ);
    }

    private byte[] mac(String scope, long expires) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal((CONTEXT + scope + "\n" + expires).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}
