package org.httpfstream.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.httpfstream.bench.Bench;
import org.httpfstream.bench.BenchOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.IHelpSectionRenderer;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code httpfstream bench [SCENARIO...] [options]}: runs the benchmark of module httpfstream-bench,
 * which parses its own options; {@code -h} shows them in the usage of the other commands' form (see
 * {@link BenchOptionsInUsage}).
 *
 * <p>Not thread safe: one instance per command line.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        modelTransformer = BenchCommand.BenchOptionsInUsage.class,
        customSynopsis = "httpfstream bench [-hV] [SCENARIO...|all] [OPTIONS]",
        description = {
            "Measures an httpfstream server (ours, started in a separate process, or any server of the "
                    + "protocol given by --server-url) against the machine's raw limits.",
            "Prints one JSON object per scenario, then a Markdown table."
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

    /** Everything after {@code bench} but {@code -h} and {@code -V}, passed on as is. */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String[] argv = args.toArray(new String[0]);
        try {
            BenchOptions.parse(argv); // the benchmark's own check, reported like picocli's
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(Main.usageMistake(e.getMessage(), spec.qualifiedName()), 2);
        }
        return Bench.run(argv, System.out, System.err);
    }

    /**
     * Puts the benchmark's scenarios and options, which picocli does not parse, into the usage after the
     * help options, under "Scenarios and options:", as the benchmark lays them out (not re-wrapped).
     */
    static final class BenchOptionsInUsage implements IModelTransformer {
        static final String SECTION = "benchOptions";

        @Override
        public CommandSpec transform(CommandSpec spec) {
            String newline = System.lineSeparator();
            StringBuilder text = new StringBuilder(newline).append("Scenarios and options:").append(newline);
            for (String line : Bench.help().split("\n")) {
                text.append("  ").append(line).append(newline);
            }
            String section = text.toString();
            UsageMessageSpec usage = spec.usageMessage();
            Map<String, IHelpSectionRenderer> sections = new LinkedHashMap<>(usage.sectionMap());
            sections.put(SECTION, help -> section);
            List<String> keys = new ArrayList<>(usage.sectionKeys());
            keys.add(keys.indexOf(UsageMessageSpec.SECTION_KEY_FOOTER_HEADING), SECTION);
            usage.sectionMap(sections);
            usage.sectionKeys(keys);
            return spec;
        }
    }
}
