package org.httpfstream.bench;

/**
 * The benchmark's command-line entry point: {@code java -jar httpfstream-bench-VERSION-all.jar
 * [SCENARIO...] [options]}; {@code --help} lists the options.
 *
 * <p>Thread safety: a program entry point; not for use as a library.
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) {
        System.exit(Bench.run(args, System.out, System.err));
    }
}
