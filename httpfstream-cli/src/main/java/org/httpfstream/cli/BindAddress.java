package org.httpfstream.cli;


/**
 * A server bind address in the form {@code [host]:port}, as accepted by {@code -http}. An empty host
 * means all interfaces; port 0 means any free port. IPv6 hosts are written in brackets: {@code [::1]:8080}.
 */
record BindAddress(String host, int port) {

    BindAddress {
        if (host == null) {
            host = "";
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** Parses {@code [host]:port}; throws IllegalArgumentException with a readable reason otherwise. */
    static BindAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address (want [host]:port, e.g. :8080)");
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(
                    "missing port in \"" + text + "\" (want [host]:port, e.g. :8080 or 127.0.0.1:8080)");
        }
        String host = text.substring(0, colon);
        String port = text.substring(colon + 1);
        if (host.startsWith("[")) {
            if (!host.endsWith("]") || host.length() < 3) {
                throw new IllegalArgumentException("malformed IPv6 host in \"" + text + "\" (want e.g. [::1]:8080)");
            }
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException(
                    "IPv6 host must be in brackets in \"" + text + "\" (want e.g. [::1]:8080)");
        }
        if (host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '[' || c == ']')) {
            throw new IllegalArgumentException("invalid host in \"" + text + "\"");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("invalid port \"" + port + "\" in \"" + text + "\" (want [host]:port with port 0-65535)");
        }
        int number = Integer.parseInt(port);
        if (number > 65535) {
            throw new IllegalArgumentException("invalid port \"" + port + "\" in \"" + text + "\" (want [host]:port with port 0-65535)");
        }
        return new BindAddress(host, number);
    }

    /** True when the host is empty, i.e. the server listens on all interfaces. */
    boolean allInterfaces() {
        return host.isEmpty();
    }

    /** The same address with another port (e.g. the one actually bound when 0 was asked). */
    BindAddress withPort(int newPort) {
        return new BindAddress(host, newPort);
    }

    /** The {@code [host]:port} form, bracketing IPv6 hosts. */
    @Override
    public String toString() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return h + ":" + port;
    }

    /** picocli converter for {@code -http}. */
    static final class Converter extends ParsingConverter<BindAddress> {
        public Converter() {
            super(BindAddress::parse);
        }
    }
}
