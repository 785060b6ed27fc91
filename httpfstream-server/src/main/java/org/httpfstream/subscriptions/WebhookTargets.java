package org.httpfstream.subscriptions;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which addresses webhooks may be sent to, so that a subscription cannot turn the server against the
 * network it sits in (server-side request forgery). Every address that is not public is refused —
 * loopback, private ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}, {@code fc00::/7}), link-local
 * (with the cloud metadata service at {@code 169.254.169.254}), shared ({@code 100.64/10}), unspecified,
 * multicast, broadcast and reserved ranges, and IPv6 forms that embed such an IPv4 address — unless it
 * lies in one of the allowed ranges ({@code -webhook-allow=CIDR[,CIDR]}). Plain {@code http} is only
 * for allowed (internal) targets; public receivers need {@code https}.
 *
 * <p>The check is made on the addresses actually connected to: {@link #resolve} resolves the host once,
 * per delivery, and keeps only the addresses that pass; the sender connects to one of those exact
 * addresses (the host name still goes in the {@code Host} header and TLS SNI), and redirects are never
 * followed. A name that resolves to a public address when checked and to an internal one a moment later
 * (DNS rebinding) therefore never reaches the internal one.
 *
 * <p>Thread safety: immutable; the resolver must be safe for use by any thread.
 */
public final class WebhookTargets {
    /** Resolves a host name to its addresses: the seam for tests and for an own name service. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final WebhookTargets PUBLIC_ONLY = new WebhookTargets(List.of(), InetAddress::getAllByName);

    private final List<Cidr> allowed;
    private final Resolver resolver;

    private WebhookTargets(List<Cidr> allowed, Resolver resolver) {
        this.allowed = allowed;
        this.resolver = resolver;
    }

    /** The default: public addresses only, resolved by the system. */
    public static WebhookTargets publicOnly() {
        return PUBLIC_ONLY;
    }

    /**
     * Public addresses and those in {@code ranges}, each {@code ADDRESS/BITS} or a single address
     * ({@code 127.0.0.1}, {@code 10.0.0.0/8}, {@code fd00::/8}, {@code ::1}), as the {@code -webhook-allow}
     * flag takes them separated by commas.
     *
     * @throws IllegalArgumentException naming the first range that is not one
     */
    public static WebhookTargets allowing(String ranges) {
        Objects.requireNonNull(ranges, "ranges");
        List<Cidr> list = new ArrayList<>();
        for (String s : ranges.split(",")) {
            if (!s.isBlank()) {
                list.add(Cidr.parse(s.trim()));
            }
        }
        return list.isEmpty() ? PUBLIC_ONLY : new WebhookTargets(List.copyOf(list), InetAddress::getAllByName);
    }

    /** The same ranges, names resolved by {@code resolver}. */
    public WebhookTargets withResolver(Resolver resolver) {
        return new WebhookTargets(allowed, Objects.requireNonNull(resolver, "resolver"));
    }

    /** The allowed ranges, as {@code ADDRESS/BITS}. */
    public List<String> allowedRanges() {
        return allowed.stream().map(Cidr::toString).toList();
    }

    /** True if {@code a} is in an allowed range. */
    public boolean inAllowedRange(InetAddress a) {
        for (Cidr c : allowed) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** True if a webhook may be sent to {@code a} with {@code scheme}: public (https only) or allowed. */
    public boolean permits(InetAddress a, String scheme) {
        return inAllowedRange(a) || ("https".equalsIgnoreCase(scheme) && !internal(a));
    }

    /**
     * Why a webhook URL is refused when a subscription is created, or null. Only what can be known without
     * a name lookup (the event loop must not wait for DNS): the form of the URL, its scheme and an
     * address literal. Names are checked at every delivery by {@link #resolve}.
     */
    public String refusalAtCreation(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "malformed webhook URL";
        }
        String host = uri.getHost();
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (host == null || scheme.isEmpty()) {
            return "webhook URL needs a scheme and a host";
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "webhook URLs must use https";
        }
        if (uri.getRawUserInfo() != null) {
            return "webhook URL must not hold a user name or password";
        }
        InetAddress literal = literal(host);
        if (literal != null) {
            return permits(literal, scheme) ? null : notPermitted(host, literal, scheme);
        }
        if (scheme.equals("http") && allowed.isEmpty()) {
            return "webhook URLs must use https (http only for targets allowed by -webhook-allow)";
        }
        return null;
    }

    /**
     * Resolves {@code uri}'s host (once) and returns the addresses a webhook may be sent to, in the
     * resolver's order; blocks for the name lookup.
     *
     * @throws RefusedTargetException if there is none: each address is internal and not allowed, the
     *     scheme is http and none is allowed, or the name does not resolve
     */
    public List<InetAddress> resolve(URI uri) throws RefusedTargetException {
        String host = uri.getHost();
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (host == null) {
            throw new RefusedTargetException("webhook URL " + uri + " has no host");
        }
        InetAddress literal = literal(host);
        InetAddress[] all;
        try {
            all = literal != null ? new InetAddress[] {literal} : resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new RefusedTargetException("webhook host " + host + " does not resolve");
        }
        List<InetAddress> ok = new ArrayList<>();
        for (InetAddress a : all) {
            if (permits(a, scheme)) {
                ok.add(a);
            }
        }
        if (ok.isEmpty()) {
            throw new RefusedTargetException(all.length == 0 ? "webhook host " + host + " has no address"
                    : notPermitted(host, all[0], scheme) + (all.length > 1 ? " (and " + (all.length - 1)
                            + " more addresses, none allowed)" : ""));
        }
        return ok;
    }

    private static String notPermitted(String host, InetAddress a, String scheme) {
        String what = host.equals(a.getHostAddress()) || host.equals("[" + a.getHostAddress() + "]")
                ? host : host + " (" + a.getHostAddress() + ")";
        return internal(a)
                ? "webhook target " + what + " is not a public address; allow it with -webhook-allow"
                : "webhook target " + what + " is public: it needs https (http only for -webhook-allow targets)";
    }

    /** The address of an IP literal host ({@code 1.2.3.4}, {@code [::1]}), else null; never a lookup. */
    static InetAddress literal(String host) {
        try {
            if (host.startsWith("[") && host.endsWith("]")) {
                return InetAddress.getByName(host.substring(1, host.length() - 1));
            }
            if (IPV4_LITERAL.matcher(host).matches()) {
                return InetAddress.getByName(host);
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    /**
     * True for every address that is not a public unicast one: loopback, private, link-local (the cloud
     * metadata services among them), shared address space, unspecified, multicast, broadcast, reserved,
     * benchmarking and documentation ranges, unique-local IPv6, and IPv6 addresses that embed an IPv4 one
     * (mapped, compatible, NAT64, 6to4) that is itself internal.
     */
    public static boolean internal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return internal4(b);
        }
        if (a instanceof Inet6Address) {
            int first = b[0] & 0xff;
            if ((first & 0xfe) == 0xfc || first == 0xff || (first == 0xfe && (b[1] & 0xc0) == 0x80)) {
                return true; // unique local, multicast, link-local
            }
            boolean zero10 = true;
            for (int i = 0; i < 10; i++) {
                zero10 &= b[i] == 0;
            }
            if (zero10 && ((b[10] == 0 && b[11] == 0) || (b[10] == (byte) 0xff && b[11] == (byte) 0xff))) {
                return internal4(Arrays.copyOfRange(b, 12, 16)); // compatible ::a.b.c.d, mapped ::ffff:a.b.c.d
            }
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b) {
                return internal4(Arrays.copyOfRange(b, 12, 16)); // NAT64 64:ff9b::/96
            }
            if (b[0] == 0x20 && b[1] == 0x02) {
                return internal4(Arrays.copyOfRange(b, 2, 6)); // 6to4 2002::/16
            }
            return (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == (byte) 0xb8); // documentation
        }
        return true;
    }

    private static boolean internal4(byte[] b) {
        int x = b[0] & 0xff;
        int y = b[1] & 0xff;
        return x == 0 || x == 10 || x == 127 || x >= 224 // this network, private, loopback, multicast, reserved
                || (x == 100 && (y & 0xc0) == 64) // shared address space (carrier NAT, some metadata services)
                || (x == 169 && y == 254) // link-local, cloud metadata
                || (x == 172 && (y & 0xf0) == 16) || (x == 192 && y == 168)
                || (x == 192 && y == 0 && (b[2] == 0 || b[2] == 2)) // IETF protocol assignments, TEST-NET-1
                || (x == 198 && (y & 0xfe) == 18) // benchmarking
                || (x == 198 && y == 51 && (b[2] & 0xff) == 100) || (x == 203 && y == 0 && (b[2] & 0xff) == 113);
    }

    @Override
    public String toString() {
        return allowed.isEmpty() ? "public only" : "public and " + String.join(",", allowedRanges());
    }

    /** An address range {@code ADDRESS/BITS}. Immutable. */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String s) {
            int slash = s.indexOf('/');
            String addr = slash < 0 ? s : s.substring(0, slash);
            if (addr.startsWith("[") && addr.endsWith("]")) {
                addr = addr.substring(1, addr.length() - 1);
            }
            InetAddress a;
            if (IPV4_LITERAL.matcher(addr).matches() || (addr.indexOf(':') >= 0 && addr.matches("[0-9a-fA-F:.]+"))) {
                try {
                    a = InetAddress.getByName(addr);
                } catch (UnknownHostException e) {
                    a = null;
                }
            } else {
                a = null;
            }
            if (a == null) {
                throw new IllegalArgumentException("not an address range (ADDRESS[/BITS]): " + s);
            }
            byte[] net = a.getAddress();
            int max = net.length * 8;
            int bits;
            try {
                bits = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an address range (ADDRESS[/BITS]): " + s);
            }
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("prefix length out of range 0.." + max + ": " + s);
            }
            for (int i = 0; i < net.length; i++) { // the network's own address: host bits cleared
                int keep = Math.max(0, Math.min(8, bits - 8 * i));
                net[i] &= (byte) (0xff << (8 - keep));
            }
            return new Cidr(net, bits);
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            for (int i = 0; i < b.length; i++) {
                int keep = Math.max(0, Math.min(8, bits - 8 * i));
                int mask = (0xff << (8 - keep)) & 0xff;
                if ((b[i] & mask) != (network[i] & mask)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            try {
                return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cidr c && c.bits == bits && Arrays.equals(c.network, network);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(network) + bits;
        }
    }
}
