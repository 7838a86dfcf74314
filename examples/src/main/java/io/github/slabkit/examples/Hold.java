package io.github.slabkit.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code --hold SECS}: keeps a scenario's caches and pools open (and their MBeans registered) after the run,
 * so that a JMX client can look at them, until Enter is pressed or the time is up. Always bounded: without a
 * terminal (CI, tests, {@code < /dev/null}) the end of input does not end the hold, the time limit does.
 */
final class Hold {
  private final @Nullable Duration duration;
  private final InputStream in;
  private final PrintStream out;

  Hold(@Nullable Duration duration, InputStream in, PrintStream out) {
    this.duration = duration;
    this.in = in;
    this.out = out;
  }

  /**
   * Waits, if {@code --hold} was given: until a line is read from the input or the duration has passed.
   *
   * @return how the hold ended: {@code "off"}, {@code "enter"} or {@code "time"}
   */
  String await() throws InterruptedException {
    Duration d = duration;
    if (d == null) {
      return "off";
    }
    out.printf(
        Locale.ROOT,
        "holding for %.1f s with everything open (process id %d): connect a JMX client now, press Enter to go on%n",
        d.toMillis() / 1000.0,
        ProcessHandle.current().pid());
    out.flush();
    CountDownLatch enter = new CountDownLatch(1);
    // A daemon thread: if the time runs out first, it stays blocked in read() without keeping the JVM alive.
    Thread reader =
        Thread.ofPlatform()
            .daemon()
            .name("hold-stdin")
            .start(
                () -> {
                  try {
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, Charset.defaultCharset()));
                    if (r.readLine() != null) { // end of input (no terminal) must not end the hold
                      enter.countDown();
                    }
                  } catch (IOException e) {
                    // no usable input: the time limit ends the hold
                  }
                });
    boolean pressed = enter.await(d.toNanos(), TimeUnit.NANOSECONDS);
    reader.interrupt();
    out.println(pressed ? "hold ended: Enter pressed" : "hold ended: time is up");
    return pressed ? "enter" : "time";
  }
}
