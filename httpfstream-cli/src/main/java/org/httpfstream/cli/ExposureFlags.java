package org.httpfstream.cli;

import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.subscriptions.WebhookTargets;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * The server flags that say what the server lets web pages and webhooks reach: {@code -allow-origin} and
 * {@code -webhook-allow}. A picocli mixin of {@link ServerCommand}; its values are parsed by picocli
 * {@link ITypeConverter}s made with {@link ParsingConverter}. Not thread safe (filled in by picocli).
 */
final class ExposureFlags {
    @Option(
            names = {"-allow-origin", "--allow-origin"},
            paramLabel = "URL[,URL]",
            defaultValue = "",
            converter = OriginsConverter.class,
            description = "browser pages that may write (append, create, close, delete, change subscriptions): "
                    + "requests and WebSocket upgrades with an Origin header from any other page get 403; "
                    + "scheme://host[:port] each, or * for every origin (default: the server's own origin only; "
                    + "requests without Origin, such as curl and the clients, are not affected; reads stay open "
                    + "to every origin)")
    OriginPolicy allowOrigin = OriginPolicy.sameOriginOnly();

    @Option(
            names = {"-webhook-allow", "--webhook-allow"},
            paramLabel = "CIDR[,CIDR]",
            defaultValue = "",
            converter = RangesConverter.class,
            description = "internal addresses that subscription webhooks may reach, such as 127.0.0.1/32 or "
                    + "10.0.0.0/8 (plain http is allowed to these only); checked on the address each delivery "
                    + "connects to (default: none, public https receivers only)")
    WebhookTargets webhookAllow = WebhookTargets.publicOnly();

    static final class OriginsConverter extends ParsingConverter<OriginPolicy> {
        public OriginsConverter() {
            super(OriginPolicy::parse);
        }
    }

    static final class RangesConverter extends ParsingConverter<WebhookTargets> {
        public RangesConverter() {
            super(WebhookTargets::allowing);
        }
    }
}
