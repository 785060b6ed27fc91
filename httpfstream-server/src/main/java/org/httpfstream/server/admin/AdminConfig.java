package org.httpfstream.server.admin;

import java.net.InetSocketAddress;

/**
 * Where the admin listener ({@code /metrics}, {@code /healthz}, {@code /readyz}) listens. Thread safety: immutable.
 *
 * @param host a host name or address; null or empty for all interfaces
 * @param port 0 to 65535; 0 picks a free port
 */
public record AdminConfig(String host, int port) {
    public AdminConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin port out of range: " + port);
        }
        if (host != null && host.isEmpty()) {
            host = null;
        }
    }

    /** The address to bind. */
    InetSocketAddress socketAddress() {
        return host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        String h = host == null ? "" : host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return h + ":" + port;
    }
}
