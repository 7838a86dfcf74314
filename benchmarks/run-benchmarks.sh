#!/usr/bin/env bash
# The one command behind every figure in BENCHMARKS.md: builds the benchmarks at HEAD, runs JMH, and writes
# the raw JSON, the text log, the machine facts, the memory tools' output and a summary of noisy results into
# benchmarks/jmh-results/<UTC date>-<time>-<short commit>/.  Then regenerate the tables with
#   python3 benchmarks/tools/bench_tables.py benchmarks/jmh-results/<folder> [<rerun folder> ...]
#
# Usage: benchmarks/run-benchmarks.sh [--headline] [--rerun-noisy FOLDER] [--tools|--no-tools] [--estimate] [REGEX ...]
#   (no REGEX)            the whole suite
#   REGEX ...             only the benchmarks JMH's regexes select (a partial rerun)
#   --headline            only the benchmarks the issues' targets need (regex printed by
#                         bench_tables.py --headline-args): about 29 min instead of 44 (--estimate)
#   --rerun-noisy FOLDER  only the benchmarks FOLDER's summary flagged (error over 20% of the score, or no
#                         error estimate; all parameter combinations of each), with JMH_FORKS=5
#                         JMH_ITERATIONS=10 unless those are set
#   --tools / --no-tools  run / skip MemoryFootprint and KmallocFragmentation (default: only on full and
#                         headline runs)
#   --estimate            print the number of benchmarks, parameter combinations and the estimated wall time
#                         of the selection, then exit without running
# Environment (defaults in brackets): JMH_FORKS [3], JMH_WARMUP_ITERATIONS [5], JMH_ITERATIONS [5],
#   JMH_WARMUP_TIME / JMH_TIME [the classes' @Warmup/@Measurement times, 1 s; 2 s for the starvation bound],
#   JMH_ARGS [extra JMH arguments, e.g. "-p ranges=100000"], MVN_ARGS [extra Maven arguments, e.g. -o],
#   ALLOW_DIRTY=1 [run although library or benchmark sources differ from HEAD; the results are marked dirty
#   and the table generator refuses them unless told --allow-dirty], JAVA_HOME [a JDK 25; searched if unset],
#   JMH_CPUS [unset: JMH and its forks run on every CPU; e.g. "1": they run pinned to that CPU list with
#   taskset, as the forks inherit the affinity; for single-threaded benchmarks only. It keeps a fork off the
#   vCPU the host slows now and then (a C loop took 0.36 s on vCPU 0 where it took 0.12 s on vCPU 1), but
#   it does not remove the bimodal forks of this machine: in the pinned run of c8b3cca, forks of one
#   benchmark still differed by about 1.6x (6 against 10 ns), anchors too (Netty 61 against 91 ns)].
set -euo pipefail
caller_dir=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)

headline=0; rerun_from=""; tools=""; estimate=0; regexes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --headline) headline=1 ;;
    --rerun-noisy)
      rerun_from="${2:?--rerun-noisy needs a results folder}"; shift
      case "$rerun_from" in /*) ;; *) rerun_from="$caller_dir/$rerun_from" ;; esac ;;
    --tools) tools=1 ;;
    --no-tools) tools=0 ;;
    --estimate) estimate=1 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) echo "run-benchmarks: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) regexes+=("$1") ;;
  esac
  shift
done

# A JDK 25, found as .ci/run finds it (plain `java` may be an older JDK).
is_jdk25() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -n1 | grep -Eq '"25(\.|")'; }
if [ -z "${JAVA_HOME:-}" ] || ! is_jdk25 "$JAVA_HOME"; then
  found=""
  for d in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    if [ -d "$d" ] && is_jdk25 "$d"; then found="$d"; break; fi
  done
  [ -n "$found" ] || { echo "run-benchmarks: no JDK 25 found (looked in /usr/lib/jvm, /opt, ~/.sdkman); set JAVA_HOME" >&2; exit 1; }
  export JAVA_HOME="$found"
fi
export PATH="$JAVA_HOME/bin:$PATH"
java="$JAVA_HOME/bin/java"
jar="$root/benchmarks/target/benchmarks.jar"
tables="$root/benchmarks/tools/bench_tables.py"

forks="${JMH_FORKS:-3}"; wi="${JMH_WARMUP_ITERATIONS:-5}"; iters="${JMH_ITERATIONS:-5}"
if [ -n "$rerun_from" ]; then
  [ -f "$rerun_from/noisy.txt" ] || { echo "run-benchmarks: $rerun_from/noisy.txt not found" >&2; exit 2; }
  [ -s "$rerun_from/noisy.txt" ] || { echo "run-benchmarks: nothing flagged in $rerun_from; no rerun needed"; exit 0; }
  regexes+=("$(python3 "$tables" --noisy-regex "$rerun_from")")
  forks="${JMH_FORKS:-5}"; iters="${JMH_ITERATIONS:-10}"
fi
param_args=()
if [ "$headline" = 1 ]; then
  # One regex and the -p restrictions, one argument per line.
  while IFS= read -r a; do param_args+=("$a"); done < <(python3 "$tables" --headline-args)
  regexes+=("${param_args[0]}"); param_args=("${param_args[@]:1}")
fi
jmh_args=(-f "$forks" -wi "$wi" -i "$iters")
[ -n "${JMH_WARMUP_TIME:-}" ] && jmh_args+=(-w "$JMH_WARMUP_TIME")
[ -n "${JMH_TIME:-}" ] && jmh_args+=(-r "$JMH_TIME")
# shellcheck disable=SC2206 # JMH_ARGS is split on purpose
[ -n "${JMH_ARGS:-}" ] && jmh_args+=(${JMH_ARGS})
jmh_args+=("${param_args[@]}" -prof gc)

# The figures must belong to a commit: refuse uncommitted changes to anything the jar is built from.
commit=$(git rev-parse HEAD); short=$(git rev-parse --short=7 HEAD)
dirty_files=$(git status --porcelain --untracked-files=all -- pom.xml '*/pom.xml' '*/src/**' | sed 's/^/    /')
dirty=false
if [ -n "$dirty_files" ]; then
  if [ "${ALLOW_DIRTY:-0}" != 1 ]; then
    printf 'run-benchmarks: uncommitted changes in library or benchmark sources; commit them first so the figures\nbelong to a commit (or set ALLOW_DIRTY=1 for a throwaway run):\n%s\n' "$dirty_files" >&2
    exit 1
  fi
  dirty=true
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
  printf '!!! ALLOW_DIRTY=1: these results are NOT the figures of commit %s (uncommitted changes):\n%s\n' "$short" "$dirty_files"
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
fi

echo "run-benchmarks: building the benchmarks jar at $short with $JAVA_HOME"
# shellcheck disable=SC2086 # MVN_ARGS is split on purpose
mvn -B -ntp -q ${MVN_ARGS:-} -pl benchmarks -am package -DskipTests

if [ "$estimate" = 1 ]; then
  "$java" -jar "$jar" -lp "${regexes[@]}" | python3 "$tables" --estimate "${jmh_args[@]}"
  exit 0
fi

stamp=$(date -u +%Y%m%d-%H%M)
out="$root/benchmarks/jmh-results/$stamp-$short"
[ "$dirty" = true ] && out="$out-dirty"
mkdir -p "$out"
cmd=("$java" -jar benchmarks/target/benchmarks.jar "${jmh_args[@]}" -rf json -rff "$out/jmh.json" "${regexes[@]}")
if [ -n "${JMH_CPUS:-}" ]; then
  cmd=(taskset -c "$JMH_CPUS" "${cmd[@]}")
fi

# Machine facts, before the run.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
jdk=$("$java" -version 2>&1 | tr '\n' ' ' | sed 's/ *$//')
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//' || echo unknown)
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
ncpu=$(nproc)
invocation=""
for v in JMH_FORKS JMH_WARMUP_ITERATIONS JMH_ITERATIONS JMH_WARMUP_TIME JMH_TIME JMH_ARGS JMH_CPUS; do
  [ -n "${!v:-}" ] && invocation="$invocation$v='${!v}' "
done
invocation="${invocation}benchmarks/run-benchmarks.sh"
[ "$tools" = 1 ] && invocation="$invocation --tools"
[ "$headline" = 1 ] && invocation="$invocation --headline"
[ -n "$rerun_from" ] && invocation="$invocation --rerun-noisy ${rerun_from#"$root"/}"
for r in "${regexes[@]}"; do [ "$headline" = 1 ] || [ -n "$rerun_from" ] || invocation="$invocation '$r'"; done

echo "run-benchmarks: results into ${out#"$root"/}"
echo "run-benchmarks: ${cmd[*]}"
# JMH refuses to start while another JMH run holds /tmp/jmh.lock: wait for it (up to JMH_LOCK_WAIT_MIN
# minutes, 60 by default) instead of ignoring the lock, which would measure two runs sharing the CPUs.
deadline=$(( $(date +%s) + 60 * ${JMH_LOCK_WAIT_MIN:-60} ))
while :; do
  set +e
  "${cmd[@]}" 2>&1 | tee "$out/jmh.log"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ] && grep -q 'Unable to acquire the JMH lock' "$out/jmh.log" && [ "$(date +%s)" -lt "$deadline" ]; then
    echo "run-benchmarks: another JMH run holds /tmp/jmh.lock; waiting 30 s"
    sleep 30
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    continue
  fi
  break
done
[ -z "$tools" ] && { [ ${#regexes[@]} -eq 0 ] || [ "$headline" = 1 ]; } && tools=1
if [ "$rc" = 0 ] && [ "$tools" = 1 ]; then
  echo "run-benchmarks: MemoryFootprint 1000000 -> footprint.txt"
  "$java" -XX:+UseSerialGC -Xmx4g -cp "$jar" io.github.slabkit.bench.MemoryFootprint 1000000 | tee "$out/footprint.txt"
  echo "run-benchmarks: KmallocFragmentation -> fragmentation.txt"
  "$java" -cp "$jar" io.github.slabkit.bench.KmallocFragmentation | tee "$out/fragmentation.txt"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)

OUT="$out" COMMIT="$commit" SHORT="$short" DIRTY="$dirty" DIRTY_FILES="$dirty_files" STARTED="$started" \
FINISHED="$finished" JDK="$jdk" JAVA="$java" CPU="$cpu" NCPU="$ncpu" MEM_KB="$mem_kb" LOAD_BEFORE="$load_before" \
LOAD_AFTER="$load_after" INVOCATION="$invocation" ENV_FORKS="${JMH_FORKS:-}" ENV_WI="${JMH_WARMUP_ITERATIONS:-}" \
ENV_I="${JMH_ITERATIONS:-}" ENV_W="${JMH_WARMUP_TIME:-}" ENV_R="${JMH_TIME:-}" ENV_ARGS="${JMH_ARGS:-}" \
ENV_CPUS="${JMH_CPUS:-}" RC="$rc" \
python3 - "${cmd[@]}" <<'EOF'
import json, os, sys
e = os.environ
facts = {
    "commit": e["COMMIT"], "shortCommit": e["SHORT"], "dirty": e["DIRTY"] == "true",
    "dirtyFiles": [l.strip() for l in e["DIRTY_FILES"].splitlines() if l.strip()],
    "started": e["STARTED"], "finished": e["FINISHED"], "jmhExitCode": int(e["RC"]),
    "jdk": e["JDK"], "java": e["JAVA"], "nproc": int(e["NCPU"]), "cpuModel": e["CPU"],
    "memTotalKiB": int(e["MEM_KB"]), "loadAverageBefore": e["LOAD_BEFORE"], "loadAverageAfter": e["LOAD_AFTER"],
    "invocation": e["INVOCATION"],
    "environment": {k: e[v] for k, v in (("JMH_FORKS", "ENV_FORKS"), ("JMH_WARMUP_ITERATIONS", "ENV_WI"),
                    ("JMH_ITERATIONS", "ENV_I"), ("JMH_WARMUP_TIME", "ENV_W"), ("JMH_TIME", "ENV_R"),
                    ("JMH_ARGS", "ENV_ARGS"), ("JMH_CPUS", "ENV_CPUS")) if e[v]},
    "command": sys.argv[1:],
}
out = e["OUT"]
with open(os.path.join(out, "machine.json"), "w") as f:
    json.dump(facts, f, indent=1)
    f.write("\n")
with open(os.path.join(out, "machine.txt"), "w") as f:
    for k, v in facts.items():
        if k == "command":
            v = " ".join(a if a and not any(c in a for c in " |()*$'") else "'" + a + "'" for a in v)
        f.write(f"{k}: {v}\n")
EOF

if [ "$rc" != 0 ]; then
  echo "run-benchmarks: JMH failed (exit $rc); partial output in ${out#"$root"/}" >&2
  exit "$rc"
fi
python3 "$tables" --summary "$out" | tee "$out/summary.txt"
