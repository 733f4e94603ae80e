# shellcheck shell=bash
# Run a real SOCKS5 proxy (Debian's microsocks 1.0.3) on loopback for tests.
#
#   socks_start [--hosts FILE] [MICROSOCKS_OPTION...]
#       Starts microsocks on 127.0.0.1:<free port> with the given options
#       (-u USER -P PASS: require RFC 1929 user/password; -b IP: the address
#       its outgoing connections come from, so a server can tell proxied
#       connections from direct ones) and waits (bounded) until it listens.
#       Exports SOCKS_PORT, SOCKS_PID and SOCKS_DIR (its stderr is
#       $SOCKS_DIR/err). Returns 1 if it did not start.
#       --hosts FILE runs it in a private mount namespace where FILE is its
#       /etc/hosts, so it resolves names (socks5h) that nothing else on the
#       machine can, without any DNS query. Returns 2 when this system cannot
#       do that (no unshare/mount, e.g. an unprivileged container).
#   socks_stop
#       Kills it by PID and removes SOCKS_DIR. Safe to call twice.
#
# microsocks forwards to whatever address a client asks for: the tests only
# ever ask for loopback addresses, or for names in the --hosts file, which
# map to loopback. It logs nothing per connection, so tests prove that a
# connection went through it with -b (the server sees the -b address).

_socks_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=common.sh
. "$_socks_lib_dir/common.sh"

SOCKS_PID=
SOCKS_PORT=
SOCKS_DIR=

# Can this system give one process its own /etc/hosts?
socks_can_isolate() {
	command -v unshare >/dev/null 2>&1 &&
		unshare --mount --propagation private sh -c 'mount --bind /dev/null /etc/hosts' 2>/dev/null
}

# For wait_until: 0 listening, 1 not yet, 2 microsocks exited.
_socks_ready() {
	kill -0 "$SOCKS_PID" 2>/dev/null || return 2
	pid_listens "$SOCKS_PID" "$1" t
}

_socks_gone() {
	! kill -0 "$SOCKS_PID" 2>/dev/null
}

socks_start() {
	local hosts='' port
	if [ "${1:-}" = --hosts ]; then
		hosts=$2
		shift 2
		if [ ! -r "$hosts" ]; then
			echo "socks_start: cannot read $hosts" >&2
			return 1
		fi
		socks_can_isolate || return 2
	fi
	if [ -n "$SOCKS_PID" ]; then
		echo "socks_start: already running (pid $SOCKS_PID)" >&2
		return 1
	fi
	if ! command -v microsocks >/dev/null 2>&1; then
		echo "socks_start: microsocks is not installed (Debian package microsocks)" >&2
		return 1
	fi
	SOCKS_DIR=$(mktemp -d /tmp/smtpprobe-socks.XXXXXX) || return 1
	for _ in 1 2 3 4 5; do
		port=$(free_port) || break
		if [ -n "$hosts" ]; then
			# unshare and sh both exec, so $! is microsocks itself.
			# shellcheck disable=SC2016 # expanded by the inner sh
			unshare --mount --propagation private \
				sh -c 'mount --bind "$1" /etc/hosts && shift && exec microsocks "$@"' \
				sh "$hosts" -i 127.0.0.1 -p "$port" "$@" \
				</dev/null >"$SOCKS_DIR/err" 2>&1 &
		else
			microsocks -i 127.0.0.1 -p "$port" "$@" </dev/null >"$SOCKS_DIR/err" 2>&1 &
		fi
		SOCKS_PID=$!
		if wait_until 100 _socks_ready "$port"; then
			SOCKS_PORT=$port
			export SOCKS_PORT SOCKS_PID SOCKS_DIR
			return 0
		fi
		kill -TERM "$SOCKS_PID" 2>/dev/null || true
		wait "$SOCKS_PID" 2>/dev/null || true
		SOCKS_PID=
		# Another process took the port between the check and the bind.
		grep -qi 'address already in use' "$SOCKS_DIR/err" || break
	done
	echo "socks_start: microsocks did not start:" >&2
	cat "$SOCKS_DIR/err" >&2 2>/dev/null || true
	socks_stop
	return 1
}

socks_stop() {
	if [ -n "$SOCKS_PID" ] && kill -0 "$SOCKS_PID" 2>/dev/null; then
		kill -TERM "$SOCKS_PID" 2>/dev/null || true
		wait_until 50 _socks_gone || kill -KILL "$SOCKS_PID" 2>/dev/null || true
		wait "$SOCKS_PID" 2>/dev/null || true
	fi
	SOCKS_PID=
	SOCKS_PORT=
	if [ -n "$SOCKS_DIR" ] && [ -d "$SOCKS_DIR" ]; then
		rm -rf "$SOCKS_DIR"
	fi
	SOCKS_DIR=
	return 0
}
