/** A user's application: it needs only the extent tree's module; the rest comes transitively. */
module com.example.slabkit.consumer {
  requires io.github.slabkit.extent;
}
