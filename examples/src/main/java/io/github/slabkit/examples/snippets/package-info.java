/**
 * The code the API documentation quotes. Each example is a method whose body holds one or more
 * {@code // @start region=...} / {@code // @end} regions, which the Javadoc of the published modules and the
 * overview page include with {@code {@snippet class=... region=...}}; the tests in {@code examples} run every
 * method, so a quoted example that stops compiling or working fails the build.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.examples.snippets;
