package org.httpfstream.auth;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One line of a grant file: a token (by its SHA-256 digest), what it may do, and where.
 *
 * @param digest the SHA-256 digest of the token
 * @param permissions what the token may do; {@link Permission#ADMIN} implies the rest
 * @param scopes canonical exact paths and prefixes ending in {@code /} ({@code /} is everything)
 * @param rate this token's rates, or null for the server's defaults
 * @param line the line number in the grant file, from 1
 *
 * <p>Thread safety: immutable, but for the array {@link #digest()} returns, which callers must not change.
 */
public record Grant(byte[] digest, Set<Permission> permissions, List<String> scopes, Rate rate, int line) {
    public Grant {
        digest = digest.clone();
        permissions = Set.copyOf(EnumSet.copyOf(permissions));
        scopes = List.copyOf(scopes);
    }

    /** True if this grant allows {@code permission} on the canonical path or scope {@code path}. */
    public boolean allows(Permission permission, String path) {
        if (!permissions.contains(permission) && !permissions.contains(Permission.ADMIN)) {
            return false;
        }
        for (String scope : scopes) {
            if (StreamPaths.covers(scope, path)) {
                return true;
            }
        }
        return false;
    }

    /** The token's fingerprint, safe to log. */
    public String fingerprint() {
        return Tokens.fingerprint(digest);
    }
}
