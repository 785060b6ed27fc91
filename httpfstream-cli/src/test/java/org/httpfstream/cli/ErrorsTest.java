package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import org.httpfstream.client.WriterConflictException;
import org.junit.jupiter.api.Test;

class ErrorsTest {

    @Test
    void namesTheKnownFailuresLikeTheOriginalTools() {
        assertThat(Errors.describe(new WriterConflictException(java.net.URI.create("http://h/x")))).isEqualTo("another appender is active");
        assertThat(Errors.describe(new NoSuchFileException("/x"))).isEqualTo("no such stream");
    }

    @Test
    void usesTheMessageOrTheCause() {
        assertThat(Errors.describe(new IOException("boom"))).isEqualTo("boom");
        assertThat(Errors.describe(new IOException(null, new ConnectException()))).isEqualTo("connection refused");
        assertThat(Errors.describe(new ConnectException("Connection refused"))).isEqualTo("Connection refused");
        assertThat(Errors.describe(new IOException(new NoSuchFileException("/x")))).isEqualTo("no such stream");
        assertThat(Errors.describe(new UnknownHostException("nosuchhost"))).isEqualTo("unknown host nosuchhost");
        assertThat(Errors.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
    }

    @Test
    void keepsItOnOneLine() {
        assertThat(Errors.describe(new IOException("first\nsecond\r\nthird\n"))).isEqualTo("first; second; third");
    }

    @Test
    void localFileFailuresAreNotCalledStreams() {
        assertThat(Errors.describeFile(new NoSuchFileException("/proc/x"))).isEqualTo("/proc/x: no such file or directory");
        assertThat(Errors.describeFile(new java.nio.file.AccessDeniedException("/root/x")))
                .isEqualTo("/root/x: permission denied");
        assertThat(Errors.describeFile(new java.nio.file.FileSystemException("/x", null, "Read-only file system")))
                .isEqualTo("/x: Read-only file system");
        assertThat(Errors.describeFile(new IOException("disk on fire"))).isEqualTo("disk on fire");
        assertThat(Errors.describeFile(new NoSuchFileException("/proc/x"), java.nio.file.Path.of("/proc/x")))
                .isEqualTo("no such file or directory");
        assertThat(Errors.describeFile(new java.nio.file.AccessDeniedException("/srv"), java.nio.file.Path.of("/srv/x")))
                .isEqualTo("/srv: permission denied");
    }

    @Test
    void bindFailuresLoseTheNativePrefix() {
        assertThat(ServerCommand.bindFailure(
                new java.net.BindException("bind(..) failed with error(-98): Address already in use")))
                .isEqualTo("Address already in use");
        assertThat(ServerCommand.bindFailure(new java.net.BindException("Address already in use")))
                .isEqualTo("Address already in use");
    }

    @Test
    void dropsTheClientsOperationPrefixWhichTheCommandLineAlreadySays() {
        assertThat(Errors.describe(new ConnectException(
                "APPEND http://127.0.0.1:1/x.txt: could not connect to 127.0.0.1:1: Connection refused")))
                .isEqualTo("could not connect to 127.0.0.1:1: Connection refused");
        assertThat(Errors.describe(new IOException(
                "FOLLOW http://h:80/a/%2e%2e/b failed: HTTP 400 Bad Request: path contains a '..' segment")))
                .isEqualTo("HTTP 400 Bad Request: path contains a '..' segment");
        assertThat(Errors.describe(new UnknownHostException(
                "FOLLOW http://nosuchhost.invalid/x: could not connect to nosuchhost.invalid:80: unknown host nosuchhost.invalid")))
                .isEqualTo("could not connect to nosuchhost.invalid:80: unknown host nosuchhost.invalid");
        assertThat(Errors.describe(new IOException("APPENDING went wrong"))).isEqualTo("APPENDING went wrong");
    }
}
