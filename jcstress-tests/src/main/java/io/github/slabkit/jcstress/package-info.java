/** jcstress tests of Slabkit's thread-safety claims; one class per claim, grouped by subject. */
@NullMarked
package io.github.slabkit.jcstress;

import org.jspecify.annotations.NullMarked;
