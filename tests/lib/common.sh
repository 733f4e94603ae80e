# shellcheck shell=bash
# Shared helpers for the integration scripts: free ports, bounded waits.
# Source it; it defines functions only.

# Print a TCP+UDP port on 127.0.0.1 that nothing is bound to right now.
# Ports come from 20000-31999, below Linux's ephemeral range (32768+), so
# outgoing connections do not take them in the meantime. Callers still
# retry when the server cannot bind (another process may win the race).
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 12000))
		# Any socket, listening or not, TCP or UDP, on that local port?
		if [ -z "$(ss -Htuan "( sport = :$port )" 2>/dev/null)" ]; then
			echo "$port"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# wait_until TENTHS CMD...: run CMD every 0.1 s, at most TENTHS+1 times,
# until it returns 0 (done) or a status above 1 (give up: the condition can
# no longer come true, e.g. the server died). Returns CMD's last status.
# This is bounded polling of a real condition, not a sleep standing in for one.
wait_until() {
	local tries=$1 i rc
	shift
	for ((i = 0; i < tries; i++)); do
		"$@"
		rc=$?
		[ "$rc" -ne 1 ] && return "$rc"
		sleep 0.1
	done
	"$@"
}

# Is PID listening on 127.0.0.1:PORT (PROTO t or u)?
pid_listens() {
	local pid=$1 port=$2 proto=${3:-t}
	ss -Hln"$proto"p "( sport = :$port )" 2>/dev/null | grep -q "pid=$pid,"
}

# require_tool CMD PACKAGE [WHAT CHECK...]: fail at once, naming the Debian
# package, when CMD is missing or CHECK (a command) fails.
# A tool a test needs is part of the test environment (.ci/setup installs
# it): its absence is a failure that says what to install, never a skip that
# would let CI pass without the test.
require_tool() {
	local cmd=$1 pkg=$2 what=${3:-}
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "not ok - this test needs $cmd, which is not installed (Debian package $pkg; bash .ci/setup installs it)"
		exit 1
	fi
	if [ -n "$what" ]; then
		shift 3
		if ! "$@" >/dev/null 2>&1; then
			echo "not ok - this test needs $cmd with $what, which it lacks (Debian package $pkg; bash .ci/setup installs it)"
			exit 1
		fi
	fi
	return 0
}

