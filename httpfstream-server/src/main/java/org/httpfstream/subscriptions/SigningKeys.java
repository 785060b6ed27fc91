package org.httpfstream.subscriptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.httpfstream.json.Json;

/**
 * The Ed25519 key that signs webhooks, with its public half as a JWK set for {@code __ds/jwks.json}. The
 * key pair is created on first use and kept in a file readable by its owner only, so its {@code kid}
 * stays the same across restarts; without a file ({@link #memory()}) a new key is made per server.
 * Signatures read {@code t=<unix seconds>,kid=<kid>,ed25519=<base64url of the signature of
 * "t.body">}.
 *
 * <p>Thread safety: safe from any thread; {@code key} is guarded by this. The file is read or written
 * once, by the first caller (the subscriptions thread in the server).
 */
public final class SigningKeys {
    private final Path file;
    /** Loaded or created on first use, so a server that never signs writes no key. Guarded by this. */
    private Key key;

    private record Key(KeyPair pair, String kid, String publicX) {}

    private SigningKeys(Path file) {
        this.file = file;
    }

    /** Keys kept in {@code file}. */
    public static SigningKeys file(Path file) {
        return new SigningKeys(java.util.Objects.requireNonNull(file, "file"));
    }

    /** Keys kept in memory only. */
    public static SigningKeys memory() {
        return new SigningKeys(null);
    }

    /** The key id: {@code ds_} and the first 16 characters of the public key's base64url SHA-256. */
    public String kid() {
        return key().kid();
    }

    /** The public key as a JWK set: one OKP Ed25519 key for signatures. */
    public Map<String, Object> jwks() {
        Key k = key();
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kty", "OKP");
        jwk.put("crv", "Ed25519");
        jwk.put("kid", k.kid());
        jwk.put("use", "sig");
        jwk.put("alg", "EdDSA");
        jwk.put("x", k.publicX());
        return Map.of("keys", List.of(jwk));
    }

    /** The {@code Webhook-Signature} header value for {@code body} sent at {@code unixSeconds}. */
    public String sign(long unixSeconds, String body) {
        Key k = key();
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(k.pair().getPrivate());
            s.update((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "t=" + unixSeconds + ",kid=" + k.kid() + ",ed25519=" + b64url(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized Key key() {
        if (key == null) {
            try {
                KeyPair pair = file == null ? generate() : loadOrCreate(file);
                byte[] spki = pair.getPublic().getEncoded();
                byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
                key = new Key(pair,
                        "ds_" + b64url(MessageDigest.getInstance("SHA-256").digest(raw)).substring(0, 16), b64url(raw));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 is not available", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read or write the signing key " + file, e);
            }
        }
        return key;
    }

    private static KeyPair generate() throws GeneralSecurityException {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private static KeyPair loadOrCreate(Path file) throws IOException, GeneralSecurityException {
        if (Files.exists(file)) {
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            Map<?, ?> m = (Map<?, ?>) Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            Base64.Decoder d = Base64.getDecoder();
            return new KeyPair(factory.generatePublic(new X509EncodedKeySpec(d.decode((String) m.get("public")))),
                    factory.generatePrivate(new PKCS8EncodedKeySpec(d.decode((String) m.get("private")))));
        }
        KeyPair k = generate();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("public", Base64.getEncoder().encodeToString(k.getPublic().getEncoded()));
        m.put("private", Base64.getEncoder().encodeToString(k.getPrivate().getEncoded()));
        SubscriptionStore.writeAtomically(file, Json.write(m), true, true);
        return k;
    }

    static String b64url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
