package org.httpfstream.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FileResponderTest {
    @Test
    void singleRanges() {
        assertThat(FileResponder.parseRange("bytes=0-4", 10)).containsExactly(0, 5);
        assertThat(FileResponder.parseRange("bytes=3-", 10)).containsExactly(3, 10);
        assertThat(FileResponder.parseRange("bytes=-4", 10)).containsExactly(6, 10);
        assertThat(FileResponder.parseRange("bytes=-40", 10)).containsExactly(0, 10);
        assertThat(FileResponder.parseRange("bytes=5-400", 10)).containsExactly(5, 10);
    }

    @Test
    void unsatisfiableRangesAreEmpty() {
        assertThat(FileResponder.parseRange("bytes=10-", 10)).isEmpty();
        assertThat(FileResponder.parseRange("bytes=-0", 10)).isEmpty();
        assertThat(FileResponder.parseRange("bytes=0-", 0)).isEmpty();
    }

    @Test
    void malformedOrMultipleRangesAreIgnored() {
        assertThat(FileResponder.parseRange("bytes=0-1,3-4", 10)).isNull();
        assertThat(FileResponder.parseRange("items=0-1", 10)).isNull();
        assertThat(FileResponder.parseRange("bytes=5-2", 10)).isNull();
        assertThat(FileResponder.parseRange("bytes=x-", 10)).isNull();
    }

    @Test
    void activeContentIsNeverServedAsSuch() {
        assertThat(FileResponder.contentType("page.html")).isEqualTo("text/plain; charset=utf-8");
        assertThat(FileResponder.contentType("build.LOG")).isEqualTo("text/plain; charset=utf-8");
        assertThat(FileResponder.contentType("blob")).isEqualTo("application/octet-stream");
    }
}
