package org.httpfstream.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.httpfstream.bench.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code httpfstream bench [SCENARIO...] [options]}: runs the benchmark of module httpfstream-bench,
 * which takes its own arguments ({@code httpfstream bench --help} lists them).
 *
 * <p>Not thread safe: one instance per command line.
 */
@Command(
        name = "bench",
        description = {
            "Measures an httpfstream server (ours, started in a separate process, or any server of the "
                    + "protocol given by --server-url) against the machine's raw limits.",
            "Prints one JSON object per scenario, then a Markdown table. 'httpfstream bench --help' lists "
                    + "the scenarios and options."
        },
        footer = {
            "",
            "Example usage:",
            "",
            "  Every scenario, small, against our server:",
            "    $ httpfstream bench --size toy",
            "  The full suite, with the table also in a file:",
            "    $ httpfstream bench --markdown /tmp/bench.md",
            ""
        })
public final class BenchCommand implements Callable<Integer> {

    /** Everything after {@code bench}, passed on as is. */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return Bench.run(args.toArray(new String[0]), System.out, System.err);
    }
}
