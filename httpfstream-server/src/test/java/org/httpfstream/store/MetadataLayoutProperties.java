package org.httpfstream.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Defect 3 of issue 11 as a property: any two distinct stream paths have distinct metadata locations,
 * and neither location lies inside the other (a stream's metadata file is never a folder another
 * stream needs). Paths are generated from the names that make collisions likely: the kind suffixes
 * ({@code .meta}, {@code .d}), the escape characters ({@code %}, {@code #}), names too long for the
 * file system once encoded, and the first layout's own collision ({@code /a.txt} and {@code
 * /a.txt.meta/x}).
 */
public class MetadataLayoutProperties {
    private final MetadataLayout layout = new MetadataLayout(Path.of("/root/.httpfstream/metadata"));

    @Provide
    Arbitrary<List<String>> streamPaths() {
        Arbitrary<String> pieces = Arbitraries.of("a", "a.txt", ".meta", ".d", "d", "%", "#", "%25", "#x", "x",
                ".", "-", "é", "meta", ".tail");
        Arbitrary<String> composed = pieces.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("", l))
                .filter(s -> !s.equals(".") && !s.equals(".."));
        Arbitrary<String> longNames = Combinators.combine(Arbitraries.of("a", "%", "#", "é"),
                Arbitraries.integers().between(240, 260)).as((c, n) -> c.repeat(n))
                .filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 255 * 2);
        Arbitrary<String> segment = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, composed),
                net.jqwik.api.Tuple.of(1, longNames),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('!', '~').excludeChars('/', '\\')
                        .ofMinLength(1).ofMaxLength(12).filter(s -> !s.equals(".") && !s.equals(".."))));
        return segment.list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 3000)
    void distinctStreamsHaveDistinctMetadataNeitherInsideTheOther(@ForAll("streamPaths") List<String> a,
            @ForAll("streamPaths") List<String> b) {
        Path pa = layout.locate(relative(a), MetadataLayout.META);
        Path pb = layout.locate(relative(b), MetadataLayout.META);
        if (a.equals(b)) {
            assertThat(pa).isEqualTo(pb);
            return;
        }
        assertThat(pa).as("%s and %s", a, b).isNotEqualTo(pb);
        assertThat(pa.startsWith(pb) || pb.startsWith(pa)).as("%s inside %s or back", pa, pb).isFalse();
    }

    @Property(tries = 1000)
    void everyNameFitsTheFileSystem(@ForAll("streamPaths") List<String> a) {
        for (Path name : layout.dir().relativize(layout.locate(relative(a), MetadataLayout.META))) {
            assertThat(name.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(MetadataLayout.MAX_NAME_BYTES);
        }
    }

    /** Pairs that differ only where the first layout collided: a stream and a path below its ".meta". */
    @Property(tries = 500)
    void aStreamAndAPathBelowItsOldMetadataNameDiffer(@ForAll("streamPaths") List<String> a,
            @ForAll("streamPaths") List<String> rest) {
        List<String> below = new java.util.ArrayList<>(a.subList(0, a.size() - 1));
        below.add(a.get(a.size() - 1) + ".meta");
        below.addAll(rest);
        Path pa = layout.locate(relative(a), MetadataLayout.META);
        Path pb = layout.locate(relative(below), MetadataLayout.META);
        assertThat(pa).isNotEqualTo(pb);
        assertThat(pb.startsWith(pa)).isFalse();
    }

    private static Path relative(List<String> segments) {
        return Path.of(segments.get(0), segments.subList(1, segments.size()).toArray(String[]::new));
    }
}
