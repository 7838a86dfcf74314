/**
 * The runnable demo (the README's main job): the writeback simulation and the ABBA deadlock scenario.
 * Start at {@link io.github.slabkit.examples.Demo}.
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.examples;
