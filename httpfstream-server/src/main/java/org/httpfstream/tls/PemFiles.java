package org.httpfstream.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PEM certificate chain and a PEM private key with the JDK alone. Keys in PKCS#1 (RSA) and SEC 1
 * (EC) form, as {@code openssl genrsa -traditional} and {@code openssl ecparam -genkey} write them, are
 * wrapped into PKCS#8 here, since the JDK reads only that form.
 *
 * <p>Thread safety: stateless.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** rsaEncryption, 1.2.840.113549.1.1.1, with its DER tag and length. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
            0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1, with its DER tag and length. */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    private static final byte[] NULL = {0x05, 0x00};

    private PemFiles() {}

    /** A certificate chain, leaf first, and the leaf's private key. */
    public record Identity(PrivateKey key, List<X509Certificate> chain) {
        public Identity {
            chain = List.copyOf(chain);
        }

        /** The chain as an array, leaf first. */
        public X509Certificate[] chainArray() {
            return chain.toArray(new X509Certificate[0]);
        }
    }

    /**
     * Reads both files of {@code config}.
     *
     * @throws IOException naming the file and what is wrong with it in one line
     */
    public static Identity read(TlsConfig config) throws IOException {
        return new Identity(readKey(config.keyFile()), readChain(config.certificateFile()));
    }

    /** The certificates of a PEM file, in file order; at least one. */
    public static List<X509Certificate> readChain(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(decode(m.group(2))))) {
                        chain.add((X509Certificate) c);
                    }
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new IOException("bad certificate in " + file + ": " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IOException("no PEM certificate (BEGIN CERTIFICATE) in " + file);
        }
        return chain;
    }

    /** The private key of a PEM file: its first PKCS#8, PKCS#1 RSA or SEC 1 EC key block. */
    public static PrivateKey readKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            try {
                switch (type) {
                    case "PRIVATE KEY": {
                        byte[] der = decode(m.group(2));
                        return pkcs8(der, algorithmOf(der));
                    }
                    case "RSA PRIVATE KEY":
                        return pkcs8(wrap(sequence(RSA_OID, NULL), decode(m.group(2))), "RSA");
                    case "EC PRIVATE KEY": {
                        byte[] sec1 = decode(m.group(2));
                        return pkcs8(wrap(sequence(EC_OID, curveOf(sec1)), sec1), "EC");
                    }
                    case "ENCRYPTED PRIVATE KEY":
                        throw new IOException("the private key in " + file
                                + " is encrypted; give it unencrypted (openssl pkcs8 -nocrypt)");
                    default:
                        break; // EC PARAMETERS and others: look further
                }
            } catch (GeneralSecurityException | IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IOException("bad private key (" + type + ") in " + file + ": " + e.getMessage(), e);
            }
        }
        throw new IOException("no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) in " + file);
    }

    private static byte[] decode(String base64) {
        return Base64.getMimeDecoder().decode(base64.replaceAll("\\s", ""));
    }

    private static PrivateKey pkcs8(byte[] der, String algorithm) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** The key algorithm named by a PKCS#8 structure's AlgorithmIdentifier. */
    private static String algorithmOf(byte[] pkcs8) {
        byte[] body = contents(pkcs8, 0);
        int version = 0;
        int algorithm = version + tlvLength(body, version); // SEQUENCE { OID, params }
        byte[] identifier = contents(body, algorithm);
        byte[] oid = Arrays.copyOfRange(identifier, 0, tlvLength(identifier, 0));
        if (Arrays.equals(oid, RSA_OID)) {
            return "RSA";
        }
        if (Arrays.equals(oid, EC_OID)) {
            return "EC";
        }
        if (oid.length == 5 && oid[2] == 0x2b && oid[3] == 0x65) { // 1.3.101.112 / 113
            return oid[4] == 0x70 ? "Ed25519" : oid[4] == 0x71 ? "Ed448" : "EdDSA";
        }
        return "RSA";
    }

    /** The named curve ({@code [0]} parameters) of a SEC 1 ECPrivateKey, as a DER OID. */
    private static byte[] curveOf(byte[] sec1) {
        byte[] body = contents(sec1, 0);
        int at = 0;
        while (at < body.length) {
            if ((body[at] & 0xff) == 0xa0) {
                return contents(body, at);
            }
            at += tlvLength(body, at);
        }
        throw new IllegalArgumentException("EC key without its curve (the [0] parameters)");
    }

    /** PKCS#8 PrivateKeyInfo: version 0, the algorithm, the key as an OCTET STRING. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
    }

    private static byte[] sequence(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** The whole length (tag, length and value) of the DER element at {@code at}. */
    private static int tlvLength(byte[] der, int at) {
        int[] h = header(der, at);
        return h[0] + h[1];
    }

    /** The value of the DER element at {@code at}. */
    private static byte[] contents(byte[] der, int at) {
        int[] h = header(der, at);
        if (at + h[0] + h[1] > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return Arrays.copyOfRange(der, at + h[0], at + h[0] + h[1]);
    }

    /** {header length, value length} of the DER element at {@code at}. */
    private static int[] header(byte[] der, int at) {
        int first = der[at + 1] & 0xff;
        if (first < 0x80) {
            return new int[] {2, first};
        }
        int bytes = first & 0x7f;
        if (bytes == 0 || bytes > 4) {
            throw new IllegalArgumentException("unsupported DER length");
        }
        int n = 0;
        for (int i = 0; i < bytes; i++) {
            n = (n << 8) | (der[at + 2 + i] & 0xff);
        }
        return new int[] {2 + bytes, n};
    }
}
