#!/usr/bin/env bash
# Fuzzes what the backend reads from others (issue #9) with libFuzzer under ASan + UBSan: Kafka
# telemetry payloads, consoles' WebSocket messages, scraped Prometheus text (tests/fuzz/).
#
#   packaging/fuzz.sh [SECONDS]   each fuzzer for SECONDS (default 20) from its committed corpus
#   packaging/fuzz.sh --merge     fold what runs found (build/fuzz/tests/fuzz/work) into tests/fuzz/corpus, minimised
#   packaging/fuzz.sh --reseed    the same, with fresh seeds from the simulator and the codec (fuzz_seeds)
#
# FUZZ_TARGETS="telemetry clientmessage exposition" picks targets; FUZZ_JOBS (default 2) build jobs.
# Prints per target the executions, exec/s and coverage; exits non-zero on a finding (crash, UB,
# leak, timeout, out of memory) and leaves the input that caused it in build/fuzz/findings/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/fuzz"
corpus="$root/tests/fuzz/corpus"
targets=(${FUZZ_TARGETS:-telemetry clientmessage exposition})
mode=run
seconds=20
case "${1:-}" in
  --merge) mode=merge ;;
  --reseed) mode=reseed ;;
  "") ;;
  *[!0-9]*) echo "usage: $0 [SECONDS | --merge | --reseed]" >&2; exit 2 ;;
  *) seconds="$1" ;;
esac

# The backend's build dependencies, plus clang and its sanitizer and libFuzzer runtimes.
"$root/packaging/install-debian-deps.sh" <(printf '%s\n' clang libclang-rt-14-dev)

cmake --preset fuzz -S "$root" >/dev/null
cmake --build "$build" --parallel "${FUZZ_JOBS:-2}" --target fuzzers fuzz_seeds

findings="$build/findings"
mkdir -p "$findings" "$build/logs"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

dict_for() {
  [[ -f "$root/tests/fuzz/$1.dict" ]] && echo "-dict=$root/tests/fuzz/$1.dict" || true
}

if [[ "$mode" != run ]]; then
  if [[ "$mode" == reseed ]]; then
    rm -rf "$build/seeds"
    ASAN_OPTIONS=detect_leaks=0 "$build/tests/fuzz/fuzz_seeds" "$build/seeds"
  fi
  for t in "${targets[@]}"; do
    merged="$build/merged/$t"
    rm -rf "$merged"
    mkdir -p "$merged" "$corpus/$t" "$build/tests/fuzz/work/$t"
    sources=("$corpus/$t" "$build/tests/fuzz/work/$t")
    [[ -d "$build/seeds/$t" ]] && sources+=("$build/seeds/$t")
    # Edges only (-use_counters=0): every branch reached stays, the committed corpus stays small.
    "$build/tests/fuzz/fuzz_$t" -merge=1 -use_counters=0 -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$findings/$t-" \
      "$merged" "${sources[@]}" >"$build/logs/$t-merge.log" 2>&1 ||
      { echo "fuzz_$t: merge failed, see $build/logs/$t-merge.log" >&2; exit 1; }
    rm -rf "$corpus/$t"
    mv "$merged" "$corpus/$t"
    echo "$t: $(find "$corpus/$t" -type f | wc -l) files, $(cat "$corpus/$t"/* | wc -c) bytes in tests/fuzz/corpus/$t"
  done
  exit 0
fi

status=0
for t in "${targets[@]}"; do
  work="$build/tests/fuzz/work/$t"
  log="$build/logs/$t.log"
  mkdir -p "$work"
  before=$(find "$findings" -type f -name "$t-*" | wc -l)
  rc=0
  # shellcheck disable=SC2046
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/$t-" $(dict_for "$t") "$work" "$corpus/$t" >"$log" 2>&1 || rc=$?
  after=$(find "$findings" -type f -name "$t-*" | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  if ((rc != 0 || after > before)); then
    status=1
    echo "fuzz_$t: FINDING after ${runs:-?} executions (exit $rc); input in $findings/, log $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+:)' "$log" | head -5 || true
  else
    echo "fuzz_$t: ${seconds} s, ${runs:-?} executions, ${rate:-?} exec/s, ${cov:-cov ?}, peak RSS ${rss:-?} MB, no finding"
  fi
done
exit "$status"
