package org.httpfstream.viewer;

/**
 * One open section of a log: a GitHub Actions group, a GitLab CI section or a Buildkite group.
 *
 * <p>Thread safety: immutable.
 *
 * @param kind {@code github}, {@code gitlab} or {@code buildkite}
 * @param title what its header line says (at most {@link Sections#MAX_TITLE} characters)
 * @param line the 1-based number of its header line
 * @param collapsed true if the format asks for it folded ({@code [collapsed=true]}, Buildkite {@code ---}
 *     and {@code ~~~})
 * @param name the GitLab section name its {@code section_end} refers to; empty for other kinds
 */
public record Section(String kind, String title, long line, boolean collapsed, String name) {
}
