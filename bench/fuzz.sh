#!/usr/bin/env bash
# bench/fuzz.sh - run every libFuzzer target until it has made RUNS
# executions (10 million by default) or run MAX_TIME seconds, whichever
# comes first, JOBS targets at a time, and print a markdown table on stdout
# (progress on stderr): executions, seconds, executions per second, and the
# coverage (edges, "cov") and features ("ft") reached, at the start (the
# saved corpus alone) and at the end. docs/fuzzing.md records a run.
#
#   CC=clang meson setup build-fuzz -Dfuzz=enabled -Dtests=enabled \
#       -Db_sanitize=address,undefined -Db_lundef=false
#   ninja -C build-fuzz
#   bench/fuzz.sh > fuzz.md                    # every target
#   TARGETS="reply json" MAX_TIME=60 bench/fuzz.sh
#   SAVE=1 bench/fuzz.sh                       # and keep what grew coverage
#
# Each target starts from a copy of its saved corpus, fixtures/fuzz/TARGET.
# With SAVE=1 the inputs that reached new edges are merged into that
# directory afterwards (libFuzzer -merge=1 with coverage counters off, so
# the set added is minimal for the edges, not one file per hit count): the
# saved corpora grow only by what grew coverage, and stay small.
#
# Environment (defaults in brackets):
#   BUILD     the fuzz build directory [build-fuzz]
#   TARGETS   which targets [every fuzz-* binary in BUILD/tests/fuzz]
#   RUNS      executions per target [10000000]
#   MAX_TIME  seconds per target at most [300]
#   JOBS      targets at a time [2: one per core of the reference machine]
#   MAX_LEN   longest input, octets [2048]
#   SAVE      1: merge the inputs that grew coverage into fixtures/fuzz [0]
#   LOGDIR    where logs and crash reproducers go [a new directory in /tmp]
# Exit status: 0 no target failed; 1 a target crashed, leaked or timed out
# (the reproducer is in LOGDIR, named TARGET-crash-...); 2 set-up.
set -uo pipefail
export LC_ALL=C

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRCDIR/build-fuzz}
RUNS=${RUNS:-10000000}
MAX_TIME=${MAX_TIME:-300}
JOBS=${JOBS:-2}
MAX_LEN=${MAX_LEN:-2048}
SAVE=${SAVE:-0}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/smtpprobe-fuzz.XXXXXX)}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

die() {
	printf 'fuzz.sh: %s\n' "$*" >&2
	exit 2
}

[ -d "$BUILD/tests/fuzz" ] || die "no $BUILD/tests/fuzz: build with -Dfuzz=enabled and clang first (see the top of this script)"
targets=()
if [ -n "${TARGETS:-}" ]; then
	read -r -a targets <<<"$TARGETS"
else
	for f in "$BUILD"/tests/fuzz/fuzz-*; do
		[ -f "$f" ] && [ -x "$f" ] && targets+=("${f##*/fuzz-}")
	done
fi
((${#targets[@]})) || die "no fuzz-* binaries in $BUILD/tests/fuzz"
for t in "${targets[@]}"; do
	[ -x "$BUILD/tests/fuzz/fuzz-$t" ] || die "no fuzz target $t in $BUILD/tests/fuzz"
	[ -d "$SRCDIR/fixtures/fuzz/$t" ] || die "no saved corpus fixtures/fuzz/$t"
done
mkdir -p "$LOGDIR"

# One target: fuzz a copy of its corpus, then (SAVE=1) merge what is new.
# Writes LOGDIR/TARGET.result: "status execs seconds cov0 ft0 cov ft files_before files_added".
# shellcheck disable=SC2317 # run by xargs, through export -f
run_one() {
	local t=$1
	local bin="$BUILD/tests/fuzz/fuzz-$t" saved="$SRCDIR/fixtures/fuzz/$t"
	local work="$LOGDIR/$t.corpus" log="$LOGDIR/$t.log"
	rm -rf "$work"
	mkdir -p "$work"
	cp "$saved"/* "$work"/
	local before start end rc
	before=$(find "$saved" -type f | wc -l)
	printf '# %s: fuzzing (%s runs or %s s)\n' "$t" "$RUNS" "$MAX_TIME" >&2
	start=$(date +%s.%N)
	"$bin" "$work" -runs="$RUNS" -max_total_time="$MAX_TIME" -max_len="$MAX_LEN" \
		-print_final_stats=1 -artifact_prefix="$LOGDIR/$t-" >"$log" 2>&1 </dev/null
	rc=$?
	end=$(date +%s.%N)
	local execs init last cov0 ft0 cov ft status=ok added=0
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	init=$(grep -m 1 -E '^#[0-9]+[[:space:]]+INITED' "$log")
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$log" | tail -n 1)
	cov0=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$init")
	ft0=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$init")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	if ((rc != 0)); then
		status=FAILED
		printf '# %s: FAILED (exit %s), see %s\n' "$t" "$rc" "$log" >&2
	elif [ "$SAVE" = 1 ]; then
		"$bin" -merge=1 -use_counters=0 -max_len="$MAX_LEN" "$saved" "$work" >"$LOGDIR/$t.merge.log" 2>&1 </dev/null ||
			printf '# %s: merge failed, see %s.merge.log\n' "$t" "$LOGDIR/$t" >&2
		added=$(($(find "$saved" -type f | wc -l) - before))
	fi
	printf '%s %s %s %s %s %s %s %s %s\n' "$status" "${execs:-0}" \
		"$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" \
		"${cov0:-?}" "${ft0:-?}" "${cov:-?}" "${ft:-?}" "$before" "$added" >"$LOGDIR/$t.result"
	printf '# %s: done\n' "$t" >&2
}
export -f run_one
export BUILD RUNS MAX_TIME MAX_LEN SAVE LOGDIR SRCDIR

# shellcheck disable=SC2016 # $1 is the inner shell's
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {}

failed=0
echo "| target | executions | seconds | exec/s | cov at start | cov at end | ft at start | ft at end | corpus | saved |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "${targets[@]}"; do
	if [ ! -r "$LOGDIR/$t.result" ]; then
		echo "| $t | (no result) | | | | | | | | |"
		failed=1
		continue
	fi
	read -r status execs secs cov0 ft0 cov ft before added <"$LOGDIR/$t.result"
	[ "$status" = ok ] || failed=1
	rate=$(awk -v e="$execs" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? e / s : e) }')
	[ "$status" = ok ] || execs="$execs ($status)"
	echo "| $t | $execs | $secs | $rate | $cov0 | $cov | $ft0 | $ft | $before | +$added |"
done
printf '# logs in %s\n' "$LOGDIR" >&2
exit "$failed"
