#!/bin/bash
# This machine's limits are never blamed on the remote server: out of file
# descriptors, a connection cannot be opened, and the result says so
# (failure internal, blame local, exit 70), not "unreachable". And -j is
# lowered to what RLIMIT_NOFILE leaves room for.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

port=$(dead_port)
out=$(mktemp /tmp/smtpprobe-limits.XXXXXX)
trap 'rm -f "$out" "$out.err"' EXIT

# Only stdin, stdout and stderr open (the test runner may pass more: close
# them); with the epoll descriptor they fill a limit of 4, so the socket
# cannot be opened.
(
	for fd in /proc/$BASHPID/fd/*; do
		n=${fd##*/}
		[ "$n" -gt 2 ] && eval "exec $n>&-"
	done
	exec >"$out" 2>"$out.err"
	ulimit -n 4 && exec "$SMTPPROBE" --json --timeout 3 --server "127.0.0.1:$port" user@example.test
)
rc=$?
expect_eq "EMFILE: exit 70" "$rc" 70
j=$(cat "$out")
expect_jq "EMFILE: failure internal" "$j" .failure internal
expect_jq "EMFILE: blame local, not the server" "$j" .blame local
expect_jq "EMFILE: step connect" "$j" .step connect
expect_match "EMFILE: says what ran out" "$(jq -r .message <<<"$j")" 'Too many open files'
expect_jq "EMFILE: no other address tried" "$j" '.attempts | length' 1

# -j 256 with room for 8: lowered, and -v says so.
(ulimit -n 40 && exec "$SMTPPROBE" -v -j 256 --timeout 3 --server "127.0.0.1:$port" user@example.test >"$out" 2>"$out.err")
expect_match "-j capped by RLIMIT_NOFILE" "$(cat "$out.err")" '-j 256 lowered to 8'
assert_done
