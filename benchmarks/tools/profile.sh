#!/usr/bin/env bash
# Where the time of a benchmark goes, on a machine without perf events or hsdis: runs JMH with
# async-profiler in itimer mode (a CPU-time signal, which needs no perf_event access) and prints the flat
# profile of the hottest methods, inlined ones included, self time first.
#
# Usage: benchmarks/tools/profile.sh REGEX [JMH args...]
#   e.g. benchmarks/tools/profile.sh 'RangeLockBenchmark.slabkitLockUnlock' -p structure=btree -p ranges=0
#
# async-profiler comes from Maven Central (tools.profiler:async-profiler, the linux-x64 jar, which carries
# the native library) into the local Maven repository; the benchmarks jar must be built
# (benchmarks/run-benchmarks.sh builds it, or: mvn -pl benchmarks -am package -DskipTests).
# Environment: AP_VERSION [4.0], FLAT [30 rows], JAVA_HOME [a JDK 25; searched if unset],
#   MAVEN_REPO_LOCAL [~/.m2/repository].
# One fork, 3 warm-up and 3 measured iterations of 3 s unless the JMH args say otherwise. The output folder
# (printed at the end) also keeps the full text report with call trees.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,15p' "$0"; exit 2; }
cd "$(dirname "$0")/../.."
root=$(pwd)
regex=$1; shift

is_jdk25() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -n1 | grep -Eq '"25(\.|")'; }
if [ -z "${JAVA_HOME:-}" ] || ! is_jdk25 "$JAVA_HOME"; then
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    if [ -d "$d" ] && is_jdk25 "$d"; then export JAVA_HOME="$d"; break; fi
  done
fi
is_jdk25 "${JAVA_HOME:-/nonexistent}" || { echo "profile: no JDK 25 found; set JAVA_HOME" >&2; exit 1; }

jar="$root/benchmarks/target/benchmarks.jar"
[ -f "$jar" ] || { echo "profile: $jar is missing; build it first (see --help)" >&2; exit 1; }

version=${AP_VERSION:-4.0}
repo=${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
apjar="$repo/tools/profiler/async-profiler/$version/async-profiler-$version-linux-x64.jar"
if [ ! -f "$apjar" ]; then
  mvn -q -B -ntp -Dmaven.repo.local="$repo" dependency:get \
    -Dartifact="tools.profiler:async-profiler:$version:jar:linux-x64" >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/slabkit-profile.XXXXXX")
(cd "$work" && "$JAVA_HOME/bin/jar" xf "$apjar")
lib=$(find "$work" -name libasyncProfiler.so | head -n1)
[ -n "$lib" ] || { echo "profile: no libasyncProfiler.so in $apjar" >&2; exit 1; }

"$JAVA_HOME/bin/java" -jar "$jar" "$regex" -f 1 -wi 3 -i 3 -w 1 -r 3 "$@" \
  -prof "async:libPath=$lib;event=itimer;output=text;flat=${FLAT:-30};dir=$work/out" | grep -Ev '^# |^$' | tail -n 8
for f in "$work"/out/*/summary-itimer.txt; do
  echo "== $f"
  awk '/ns  percent  samples  top/,0' "$f" | head -n $(( ${FLAT:-30} + 2 ))
done
