package io.github.slabkit.examples;

import java.io.PrintStream;
import java.util.List;
import javax.management.ObjectName;

/** {@code --jmx}: says where a JMX client finds the demo: the process id and every registered name. */
final class JmxReport {
  private JmxReport() {}

  static void print(PrintStream out, List<ObjectName> names) {
    long pid = ProcessHandle.current().pid();
    out.println("JMX: process id " + pid + " (e.g. jconsole " + pid + "); registered MBeans:");
    for (ObjectName n : names) {
      out.println("  " + n);
    }
  }
}
