package org.httpfstream.server.guard;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.HEAD;
import static io.netty.handler.codec.http.HttpMethod.OPTIONS;
import static io.netty.handler.codec.http.HttpMethod.PATCH;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.httpfstream.auth.Permission;
import org.junit.jupiter.api.Test;

/** The one permission table, and the ttl of the signing endpoint. */
class AuthorizerTest {
    @Test
    void everyRouteNeedsItsPermissionAndAMethodNoRouteTakesNeedsAdmin() {
        assertThat(Authorizer.required(GET, "/a", null)).isEqualTo(Permission.READ);
        assertThat(Authorizer.required(GET, "/a", "FOLLOW")).isEqualTo(Permission.READ);
        assertThat(Authorizer.required(GET, "/a", "APPEND")).isEqualTo(Permission.APPEND);
        assertThat(Authorizer.required(HEAD, "/a", null)).isEqualTo(Permission.READ);
        assertThat(Authorizer.required(PUT, "/a", null)).isEqualTo(Permission.APPEND);
        assertThat(Authorizer.required(POST, "/a", null)).isEqualTo(Permission.APPEND);
        assertThat(Authorizer.required(DELETE, "/a", null)).isEqualTo(Permission.DELETE);
        assertThat(Authorizer.required(PATCH, "/a", null)).isEqualTo(Permission.ADMIN);
        assertThat(Authorizer.required(OPTIONS, "/a", null)).isNull();
        assertThat(Authorizer.required(GET, "/logs/__ds/subscriptions/s", null)).isEqualTo(Permission.ADMIN);
        assertThat(Authorizer.required(POST, "/__ds/sign", null)).isEqualTo(Permission.ADMIN);
        assertThat(Authorizer.required(GET, "/__ds/jwks.json", null)).isNull();
        assertThat(Authorizer.required(DELETE, "/__ds/jwks.json", null)).isEqualTo(Permission.ADMIN);
    }

    @Test
    void aTtlHasAUnitOrIsSeconds() {
        assertThat(Authorizer.ttl(null)).isEqualTo(Duration.ofHours(24));
        assertThat(Authorizer.ttl("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Authorizer.ttl("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Authorizer.ttl("7d")).isEqualTo(Duration.ofDays(7));
        for (String bad : new String[] {"soon", "0h", "-1s", "5w", "h"}) {
            assertThrows(IllegalArgumentException.class, () -> Authorizer.ttl(bad), bad);
        }
    }
}
