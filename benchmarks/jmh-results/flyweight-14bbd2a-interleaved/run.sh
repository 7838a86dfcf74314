#!/bin/bash
# Interleaved A/B runs (one fork each, alternating) so that the machine's changing load hits both alike.
c=14bbd2a
out=/tmp/flyweight-ab
mkdir -p $out
for i in 1 2 3 4 5; do
  for b in flyweight varHandle varHandleHoisted; do
    for attempt in $(seq 1 100); do
      while pgrep -f 'benchmarks[^ ]*\.jar|ForkedMain' > /dev/null; do sleep 3; done
      /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar /tmp/benchmarks-$c.jar "FlyweightBenchmark.$b\$" -f 1 -prof gc \
        -rf json -rff $out/ab-$c-$i-$b.json > $out/ab-$i-$b.txt 2>&1
      grep -q "Unable to acquire the JMH lock" $out/ab-$i-$b.txt || break
      sleep 5
    done
  done
done
echo done > $out/DONE
