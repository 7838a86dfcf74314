/**
 * A Micrometer {@code MeterBinder} for Slabkit: {@link io.github.slabkit.micrometer.SlabkitMetrics}.
 */
@NullMarked
package io.github.slabkit.micrometer;

import org.jspecify.annotations.NullMarked;
