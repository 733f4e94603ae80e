# shellcheck shell=bash
# Run a private Postfix (Debian's postfix 3.7) for integration tests.
#
#   postfix_start TEMPLATE_DIR [PARAM=VALUE...]
#       Copies every file of TEMPLATE_DIR (main.cf, master.cf, lookup
#       tables) into a new config directory under a mktemp state directory,
#       replacing @CONFIG_DIR@ @QUEUE_DIR@ @DATA_DIR@ @STATE_DIR@ @LOG_FILE@
#       @PORT@; applies each PARAM=VALUE with postconf -e (placeholders work
#       there too); starts the master daemon with smtpd on 127.0.0.1:<free
#       port> and waits (bounded) until it listens. Exports POSTFIX_PORT,
#       POSTFIX_PID (the master), POSTFIX_DIR (state directory),
#       POSTFIX_CONFIG (config directory) and POSTFIX_LOG (its log file).
#   postfix_stop
#       Stops the master by PID (it stops its children), removes the state
#       directory. Safe to call twice or when nothing was started.
#   postfix_log_count REGEX
#       How many lines of the Postfix log match REGEX (grep -E).
#
# Needs root and the postfix user and postdrop group from the Debian
# package. The system's /etc/postfix is never read or changed (only the
# package's meta files, postfix-files, are used to create the queue).

_postfix_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=common.sh
. "$_postfix_lib_dir/common.sh"

POSTFIX_PID=
POSTFIX_PORT=
POSTFIX_DIR=
POSTFIX_CONFIG=
POSTFIX_LOG=

_postfix_subst() {
	sed -e "s|@CONFIG_DIR@|$POSTFIX_CONFIG|g" \
		-e "s|@QUEUE_DIR@|$POSTFIX_DIR/queue|g" \
		-e "s|@DATA_DIR@|$POSTFIX_DIR/data|g" \
		-e "s|@STATE_DIR@|$POSTFIX_DIR|g" \
		-e "s|@LOG_FILE@|$POSTFIX_LOG|g" \
		-e "s|@PORT@|$1|g"
}

# Write the config for PORT from the template and overrides.
_postfix_configure() {
	local template=$1 port=$2 f kv
	shift 2
	for f in "$template"/*; do
		[ -f "$f" ] || continue
		_postfix_subst "$port" <"$f" >"$POSTFIX_CONFIG/$(basename "$f")"
	done
	for kv in "$@"; do
		postconf -c "$POSTFIX_CONFIG" -e "$(printf '%s' "$kv" | _postfix_subst "$port")" ||
			return 1
	done
	# Postfix waits (up to ~2 s, in 300 ms steps) before it trusts a
	# configuration file written within the last second or so; these were
	# written in full just now, so date them back.
	touch -d "1 minute ago" "$POSTFIX_CONFIG"/*
}

postfix_start() {
	require_tool postfix postfix
	local template=${1:?postfix_start: TEMPLATE_DIR missing} port daemon_dir
	shift
	if [ -n "$POSTFIX_PID" ]; then
		echo "postfix_start: already running (pid $POSTFIX_PID)" >&2
		return 1
	fi
	if [ ! -f "$template/main.cf" ] || [ ! -f "$template/master.cf" ]; then
		echo "postfix_start: $template has no main.cf/master.cf" >&2
		return 1
	fi
	POSTFIX_DIR=$(mktemp -d /tmp/smtpprobe-postfix.XXXXXX) || return 1
	# The postfix user must traverse to the queue directory.
	chmod 755 "$POSTFIX_DIR"
	POSTFIX_CONFIG=$POSTFIX_DIR/conf
	POSTFIX_LOG=$POSTFIX_DIR/maillog
	mkdir -p "$POSTFIX_CONFIG" "$POSTFIX_DIR/queue" || return 1
	: >"$POSTFIX_LOG"

	for _ in 1 2 3 4 5; do
		_postfix_shared=0
		port=$(free_port) || break
		_postfix_configure "$template" "$port" "$@" || break
		# Creates the queue and data directories with the right owners
		# (post-install create-missing) and checks the configuration.
		if ! postfix -c "$POSTFIX_CONFIG" check >"$POSTFIX_DIR/check.log" 2>&1; then
			echo "postfix_start: postfix check failed:" >&2
			cat "$POSTFIX_DIR/check.log" >&2
			break
		fi
		daemon_dir=$(postconf -c "$POSTFIX_CONFIG" -h daemon_directory)
		# master does not fork: $! is the master. -d keeps it attached
		# to our stderr so start-up errors land in master.err.
		"$daemon_dir/master" -d -c "$POSTFIX_CONFIG" \
			</dev/null >"$POSTFIX_DIR/master.err" 2>&1 &
		POSTFIX_PID=$!
		# Ready when the master listens on the port (ss shows the pid
		# owning the socket); bounded at 10 s; stop early if it died.
		if wait_until 100 _postfix_ready "$port" && _postfix_alone "$port"; then
			POSTFIX_PORT=$port
			export POSTFIX_PORT POSTFIX_PID POSTFIX_DIR POSTFIX_CONFIG POSTFIX_LOG
			return 0
		fi
		if kill -0 "$POSTFIX_PID" 2>/dev/null; then
			kill -TERM "$POSTFIX_PID" 2>/dev/null || true
		fi
		wait "$POSTFIX_PID" 2>/dev/null || true
		POSTFIX_PID=
		# Retry on another port only when the port was taken.
		if [ "$_postfix_shared" != 1 ] &&
			! grep -qi "address already in use" "$POSTFIX_DIR/master.err" "$POSTFIX_LOG"; then
			break
		fi
	done
	echo "postfix_start: Postfix did not start; master stderr and log:" >&2
	cat "$POSTFIX_DIR/master.err" "$POSTFIX_LOG" >&2 2>/dev/null || true
	postfix_stop
	return 1
}

# For wait_until: 0 when the master listens on PORT, 1 not yet, 2 when the
# master died (give up at once).
_postfix_ready() {
	kill -0 "$POSTFIX_PID" 2>/dev/null || return 2
	pid_listens "$POSTFIX_PID" "$1" t
}

postfix_stop() {
	if [ -n "$POSTFIX_PID" ] && kill -0 "$POSTFIX_PID" 2>/dev/null; then
		# SIGTERM: the master terminates its children and exits.
		kill -TERM "$POSTFIX_PID" 2>/dev/null || true
		if ! wait_until 50 _postfix_gone; then
			# Its children exit by themselves once the master is gone.
			kill -KILL "$POSTFIX_PID" 2>/dev/null || true
		fi
		wait "$POSTFIX_PID" 2>/dev/null || true
	fi
	POSTFIX_PID=
	POSTFIX_PORT=
	if [ -n "$POSTFIX_DIR" ] && [ -d "$POSTFIX_DIR" ]; then
		rm -rf "$POSTFIX_DIR"
	fi
	POSTFIX_DIR=
	return 0
}

_postfix_gone() {
	! kill -0 "$POSTFIX_PID" 2>/dev/null
}

postfix_log_count() {
	grep -cE -- "$1" "$POSTFIX_LOG" 2>/dev/null || true
}

# Postfix binds with SO_REUSEPORT, so a second root process listening on
# the same port does not make bind fail: the kernel would share the
# connections between them. Succeed only when every listening socket on
# PORT belongs to our master (its children share the same socket).
_postfix_shared=0
_postfix_alone() {
	local lines
	lines=$(ss -Hltnp "( sport = :$1 )" 2>/dev/null)
	if [ -n "$lines" ] && ! grep -qv "pid=$POSTFIX_PID," <<<"$lines"; then
		_postfix_shared=0
		return 0
	fi
	_postfix_shared=1
	return 1
}
