package org.httpfstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Flag parsing, usage texts and exit codes; nothing here touches the network. */
class CommandLineTest {

    // ---- server flags ----

    @Test
    void serverDefaults() {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand());
        assertThat(server.root).isEqualTo(Path.of("/tmp/httpfstream"));
        assertThat(server.http).isEqualTo(new BindAddress("", 8080));
        assertThat(server.http.allInterfaces()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-root=/x", "-root /x", "--root=/x", "--root /x"})
    void serverRootInBothFlagStyles(String flags) {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), flags.split(" "));
        assertThat(server.root).isEqualTo(Path.of("/x"));
        assertThat(server.http).isEqualTo(new BindAddress("", 8080));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-http=:9090", "-http :9090", "--http=:9090", "--http :9090"})
    void serverHttpInBothFlagStyles(String flags) {
        ServerCommand server = CommandLine.populateCommand(new ServerCommand(), flags.split(" "));
        assertThat(server.http).isEqualTo(new BindAddress("", 9090));
        assertThat(server.root).isEqualTo(Path.of("/tmp/httpfstream"));
    }

    @Test
    void serverHttpWithHost() {
        ServerCommand server =
                CommandLine.populateCommand(new ServerCommand(), "-http=127.0.0.1:0", "--root", "/data/streams");
        assertThat(server.http).isEqualTo(new BindAddress("127.0.0.1", 0));
        assertThat(server.root).isEqualTo(Path.of("/data/streams"));

        server = CommandLine.populateCommand(new ServerCommand(), "-http", "localhost:9000");
        assertThat(server.http).isEqualTo(new BindAddress("localhost", 9000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-http=8080", "-http=localhost", "-http=:http", "-http=:70000"})
    void serverRejectsBadHttpWithAClearMessage(String flag) {
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), flag))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("Invalid value for option")
                .hasMessageContaining("http")
                .hasMessageContaining(flag.substring("-http=".length()))
                .hasMessageContaining("[host]:port")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Exception"));
    }

    /** A duration flag of the server: its field, its default, a value in each spelling, a refused value. */
    record DurationFlag(String name, Function<ServerCommand, Duration> field, Duration byDefault, String shortValue,
            Duration shortParsed, String longValue, Duration longParsed, String bad) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<DurationFlag> serverDurationFlags() {
        return List.of(
                // -long-poll-timeout is any duration, 30 s unless given
                new DurationFlag("long-poll-timeout", c -> c.longPollTimeout, Duration.ofSeconds(30),
                        "500ms", Duration.ofMillis(500), "1m", Duration.ofMinutes(1), "soon"),
                // -drain-timeout defaults to ten seconds and is any duration
                new DurationFlag("drain-timeout", c -> c.drainTimeout, Duration.ofSeconds(10),
                        "0s", Duration.ZERO, "1m30s", Duration.ofSeconds(90), "later"));
    }

    @ParameterizedTest
    @MethodSource("serverDurationFlags")
    void serverDurationFlagsHaveTheirDefaultAndTakeAnyDuration(DurationFlag flag) {
        assertThat(flag.field().apply(CommandLine.populateCommand(new ServerCommand())))
                .isEqualTo(flag.byDefault());
        assertThat(flag.field().apply(CommandLine.populateCommand(new ServerCommand(),
                "-" + flag.name() + "=" + flag.shortValue()))).isEqualTo(flag.shortParsed());
        assertThat(flag.field().apply(CommandLine.populateCommand(new ServerCommand(),
                "--" + flag.name(), flag.longValue()))).isEqualTo(flag.longParsed());
        assertServerRefuses("-" + flag.name() + "=" + flag.bad(), flag.name(), flag.bad());
    }

    @Test
    void serverAllowOriginDefaultsToTheServersOwnOriginAndTakesAListOrAStar() {
        assertThat(CommandLine.populateCommand(new ServerCommand()).exposure.allowOrigin)
                .isEqualTo(org.httpfstream.browser.OriginPolicy.sameOriginOnly());
        assertThat(CommandLine.populateCommand(new ServerCommand(), "-allow-origin=*").exposure.allowOrigin
                .allowsAnyOrigin()).isTrue();
        assertThat(CommandLine.populateCommand(new ServerCommand(), "--allow-origin",
                "https://app.example,http://localhost:3000").exposure.allowOrigin.origins())
                .containsExactly("https://app.example:443", "http://localhost:3000");
        assertServerRefuses("-allow-origin=app.example", "allow-origin",
                "not an origin (http[s]://host[:port]): app.example");
    }

    @Test
    void serverWebhookAllowDefaultsToPublicTargetsOnlyAndTakesRanges() {
        assertThat(CommandLine.populateCommand(new ServerCommand()).exposure.webhookAllow)
                .isSameAs(org.httpfstream.subscriptions.WebhookTargets.publicOnly());
        assertThat(CommandLine.populateCommand(new ServerCommand(), "-webhook-allow=127.0.0.1,10.0.0.0/8")
                .exposure.webhookAllow.allowedRanges()).containsExactly("127.0.0.1/32", "10.0.0.0/8");
        assertServerRefuses("-webhook-allow=intranet", "webhook-allow",
                "not an address range (ADDRESS[/BITS]): intranet");
    }

    /** The server command refuses {@code arg} as a usage mistake naming the flag and saying {@code why}. */
    private static void assertServerRefuses(String arg, String flag, String why) {
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), arg))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining(flag)
                .hasMessageContaining(why);
    }

    @Test
    void serverTakesNoArguments() {
        assertThatThrownBy(() -> CommandLine.populateCommand(new ServerCommand(), "extra"))
                .isInstanceOf(ParameterException.class);
    }

    // ---- append / follow flags ----

    static List<Arguments> streamCommands() {
        Function<String[], StreamOptions> append = args -> CommandLine.populateCommand(new AppendCommand(), args).options;
        Function<String[], StreamOptions> follow = args -> CommandLine.populateCommand(new FollowCommand(), args).options;
        return List.of(Arguments.of(Named.of("append", append), "http://h/x"),
                Arguments.of(Named.of("follow", follow), "https://h/x"));
    }

    @ParameterizedTest
    @MethodSource("streamCommands")
    void appendAndFollowTakeAUrlAndVerboseBeforeOrAfterIt(Function<String[], StreamOptions> parse, String url) {
        StreamOptions quiet = parse.apply(new String[] {"http://localhost:8080/foo.txt"});
        assertThat(quiet.verbose).isFalse();
        assertThat(quiet.url).isEqualTo("http://localhost:8080/foo.txt");

        for (String flag : new String[] {"-v", "--verbose"}) {
            StreamOptions verbose = parse.apply(new String[] {flag, url});
            assertThat(verbose.verbose).as(flag).isTrue();
            assertThat(verbose.url).isEqualTo(url);
        }
        StreamOptions after = parse.apply(new String[] {url, "-v"});
        assertThat(after.verbose).isTrue();
    }

    @Test
    void subcommandsParseThroughMain() {
        CommandLine.ParseResult result = Main.newCommandLine()
                .parseArgs("server", "-root=/srv/streams", "--http", "127.0.0.1:0");
        ServerCommand server = result.subcommand().commandSpec().commandLine().getCommand();
        assertThat(server.root).isEqualTo(Path.of("/srv/streams"));
        assertThat(server.http).isEqualTo(new BindAddress("127.0.0.1", 0));

        result = Main.newCommandLine().parseArgs("follow", "--verbose", "http://h:1/a/b.log");
        FollowCommand follow = result.subcommand().commandSpec().commandLine().getCommand();
        assertThat(follow.options.verbose).isTrue();
        assertThat(follow.options.url).isEqualTo("http://h:1/a/b.log");
    }

    // ---- usage texts ----

    @Test
    void usageTextsContainRunnableExamples() {
        assertThat(usage("append"))
                .contains("Usage: httpfstream append")
                .contains("cat foo.txt | httpfstream-append http://localhost:8080/foo.txt")
                .contains("-v, --verbose");
        assertThat(usage("follow"))
                .contains("Usage: httpfstream follow")
                .contains("httpfstream-follow http://localhost:8080/foo.txt");
        assertThat(usage("server"))
                .contains("Usage: httpfstream server")
                .contains("httpfstream-server -http=:8080")
                .contains("-root", "--root", "-http", "--http")
                .contains("default: /tmp/httpfstream", "default: :8080");
        assertThat(usage(null))
                .contains("server", "append", "follow")
                .contains("httpfstream append http://localhost:8080/foo.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-h", "--help"})
    void helpPrintsUsageToStdoutAndExitsZero(String flag) {
        Run run = run("append", flag);
        assertThat(run.exitCode).isZero();
        assertThat(run.out).contains("cat foo.txt | httpfstream-append http://localhost:8080/foo.txt");
        assertThat(run.err).isEmpty();
    }

    // ---- exit codes ----

    @ParameterizedTest
    @ValueSource(strings = {"append", "follow", "sign"})
    void missingUrlIsAOneLineUsageError(String verb) {
        Run run = run(verb);
        assertFailsWithOnly(run, 2, "missing required parameter: 'URL' (try 'httpfstream " + verb + " -h')\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"append", "follow"})
    void moreThanOneUrlIsAOneLineUsageError(String verb) {
        Run run = run(verb, "http://h/a", "http://h/b");
        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err).matches("unmatched argument at index \\d+: 'http://h/b' \\(try 'httpfstream " + verb
                + " -h'\\)\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"server", "append", "follow", "sign"})
    void anUnknownOptionIsOneLineSayingWhatIsWrongAndWhereHelpIs(String verb) {
        Run run = verb.equals("server") ? run(verb, "-x") : run(verb, "-x", "http://h/a");
        assertFailsWithOnly(run, 2, "unknown option: '-x' (try 'httpfstream " + verb + " -h')\n");
    }

    @Test
    void otherUsageErrorsExitWithTwoAndOneLine() {
        Run none = run();
        assertThat(none.exitCode).isEqualTo(2);
        assertThat(none.err).isEqualTo("missing required subcommand (server, append, follow, sign or bench) "
                + "(try 'httpfstream -h')\n");
        Run upload = run("upload");
        assertThat(upload.exitCode).isEqualTo(2);
        assertThat(upload.err).startsWith("unmatched argument at index 0: 'upload'")
                .endsWith(" (try 'httpfstream -h')\n").hasLineCount(1);
        Run badHttp = run("server", "-http=8080");
        assertThat(badHttp.exitCode).isEqualTo(2);
        assertThat(badHttp.err).contains("missing port in \"8080\"").endsWith(" (try 'httpfstream server -h')\n")
                .hasLineCount(1);
    }

    @Test
    void theStoreIsFileOrMemoryAndAnyOtherIsAUsageMistake() throws Exception {
        assertThat(CommandLine.populateCommand(new ServerCommand()).store).isEqualTo(ServerCommand.StoreKind.file);
        assertThat(CommandLine.populateCommand(new ServerCommand(), "-store=memory").store)
                .isEqualTo(ServerCommand.StoreKind.memory);
        Run disk = run("server", "-store=disk");
        assertThat(disk.exitCode).isEqualTo(2);
        assertThat(disk.err).contains("-store", "file, memory", "disk")
                .endsWith(" (try 'httpfstream server -h')\n").hasLineCount(1);
    }

    @Test
    void aMisspeltCommandOrOptionGetsASuggestionOnTheSameLine() {
        Run verb = run("folow", "http://h/a");
        assertThat(verb.exitCode).isEqualTo(2);
        assertThat(verb.err).startsWith("unmatched arguments from index 0: 'folow', 'http://h/a'; did you mean ")
                .contains("'follow'").endsWith("? (try 'httpfstream -h')\n").hasLineCount(1);
        Run option = run("follow", "--verbos", "http://h/a");
        assertThat(option.exitCode).isEqualTo(2);
        assertThat(option.err).startsWith("unknown option: '--verbos'; did you mean ").contains("'--verbose'")
                .endsWith("? (try 'httpfstream follow -h')\n");
    }

    @Test
    void theUsageMistakeLineLowersOnlyASentencesCapitalAndJoinsLines() {
        assertThat(Main.usageMistake("Unknown option: '-x'", "httpfstream-server"))
                .isEqualTo("unknown option: '-x' (try 'httpfstream-server -h')");
        assertThat(Main.usageMistake("URL missing\nsecond line", "httpfstream follow"))
                .isEqualTo("URL missing; second line (try 'httpfstream follow -h')");
    }

    // ---- the name a wrapper script runs a command under ----

    @Test
    void aWrapperNamesTheCommandInItsUsage() {
        Run help = runAs("httpfstream-server", "server", "-h");
        assertThat(help.exitCode).isZero();
        assertThat(help.out).startsWith("Usage: httpfstream-server ").contains("-root", "-http");

        Run follow = runAs("httpfstream-follow", "follow", "--help");
        assertThat(follow.out).startsWith("Usage: httpfstream-follow ");
    }

    @Test
    void aWrapperNamesTheCommandInItsUsageMistakes() {
        Run wrong = runAs("httpfstream-server", "server", "-x");
        assertThat(wrong.exitCode).isEqualTo(2);
        assertThat(wrong.err).isEqualTo("unknown option: '-x' (try 'httpfstream-server -h')\n");
    }

    @Test
    void aWrapperNameThatIsNotTheVerbChangesNothing() {
        assertThat(runAs("httpfstream-follow", "server", "-h").out).startsWith("Usage: httpfstream server ");
        assertThat(runAs(null, "server", "-h").out).startsWith("Usage: httpfstream server ");
        assertThat(runAs("httpfstream-help", "help").out).startsWith("Usage: httpfstream ");
    }

    // ---- URLs ----

    @ParameterizedTest
    @ValueSource(strings = {"follow", "append", "sign"})
    void aUrlWithoutHttpOrHttpsIsNotAnHttpUrl(String verb) {
        for (String url : List.of("localhost:8080/x", "example.com/foo.txt", "ftp://localhost/foo.txt",
                "httpx://h/a", "/foo.txt", "local host")) {
            Run run = run(verb, url);
            assertThat(run.exitCode).as(url).isEqualTo(1);
            assertThat(run.err).as(url).isEqualTo("not an http(s) URL: " + url + "\n");
        }
    }

    @Test
    void badHttpUrlsFailWithOneLine() {
        Run upper = run("follow", "HTTP:///x");
        assertThat(upper.err).isEqualTo("failed to parse URL \"HTTP:///x\": missing or invalid host\n");

        Run syntax = run("append", "http://local host/x");
        assertThat(syntax.exitCode).isEqualTo(1);
        assertThat(syntax.err).isEqualTo(
                "failed to parse URL \"http://local host/x\": illegal character in authority at index 7\n");

        Run noHost = run("follow", "http:///x");
        assertFailsWithOnly(noHost, 1, "failed to parse URL \"http:///x\": missing or invalid host\n");
    }

    @Test
    void versionIsReported() {
        Run run = run("--version");
        assertThat(run.exitCode).isZero();
        assertThat(run.out).startsWith("httpfstream ").doesNotContain("${");
    }

    private static String usage(String verb) {
        CommandLine commandLine = Main.newCommandLine();
        return verb == null ? commandLine.getUsageMessage() : commandLine.getSubcommands().get(verb).getUsageMessage();
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        return runAs(null, args);
    }

    /** Runs {@code args} as {@code program} would, e.g. httpfstream-server as bin/httpfstream-server does. */
    private static Run runAs(String program, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main.Invocation invocation = Main.invocation(program, args);
        CommandLine commandLine = invocation.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = invocation.execute();
        return new Run(exitCode, out.toString().replace(System.lineSeparator(), "\n"),
                err.toString().replace(System.lineSeparator(), "\n"));
    }

    // ---- bench ----

    @Test
    void benchPassesEveryArgumentOnInOrder() {
        BenchCommand bench = CommandLine.populateCommand(new BenchCommand(),
                "streams", "--size", "toy", "--server-url=http://127.0.0.1:1/", "--work-dir", "/tmp/b");
        assertThat(bench.args).containsExactly("streams", "--size", "toy", "--server-url=http://127.0.0.1:1/",
                "--work-dir", "/tmp/b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-h", "--help"})
    void benchHelpIsAPicocliUsageListingTheBenchmarksOptions(String flag) {
        Run run = run("bench", flag);
        assertThat(run.exitCode).isZero();
        assertThat(run.err).isEmpty();
        assertThat(run.out)
                .startsWith("Usage: httpfstream bench [-hV] [SCENARIO...|all] [OPTIONS]\n")
                .contains("  -h, --help ", "  -V, --version ")
                .contains("Scenarios and options:\n  scenarios: ")
                .contains("  --size full|toy ", "  --server-url URL ")
                // as the benchmark lays its options out, not re-wrapped at 80 columns
                .contains("\n    --size full|toy              full-size suite (default) or a few MB / tens of "
                        + "connections\n")
                .contains("Example usage:", "$ httpfstream bench --size toy")
                .doesNotContain("usage: bench");
        // the same layout as the other commands: synopsis, description, options, footer
        assertThat(run.out.indexOf("Measures an httpfstream server")).isLessThan(run.out.indexOf("--help"));
        assertThat(run.out.indexOf("--help")).isLessThan(run.out.indexOf("Scenarios and options:"));
    }

    @Test
    void aBenchUsageMistakeIsOneLineToo() {
        Run run = run("bench", "--size");
        assertFailsWithOnly(run, 2, "option --size needs a value (try 'httpfstream bench -h')\n");
    }

    @Test
    void benchIsASubcommandOfHttpfstream() {
        assertThat(Main.newCommandLine().getSubcommands()).containsKey("bench");
    }

    /** The run exited with {@code exitCode}, printing exactly {@code err} on stderr and nothing on stdout. */
    private static void assertFailsWithOnly(Run run, int exitCode, String err) {
        assertThat(run.exitCode).isEqualTo(exitCode);
        assertThat(run.err).isEqualTo(err);
        assertThat(run.out).isEmpty();
    }
}
