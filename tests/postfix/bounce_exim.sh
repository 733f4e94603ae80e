#!/bin/bash
# bounce_exim.sh FAKESMTP - real bounces written by a real Exim, read by
# `smtpprobe explain`: bounce.sh's cases with Exim in Postfix's place.
#
# Exim is Debian's exim4-daemon-light 4.96, not installed (it would replace
# Postfix as the system MTA) but unpacked from the .debs that .ci/setup
# downloads into /var/cache/smtpprobe-test/exim (EXIM_DEBS overrides). It
# runs with its own configuration (fixtures/exim/exim.conf: spool, log and
# mailboxes in this test's directory) and no daemon: `exim -C conf -odi`
# takes each message and tries to deliver it at once, through 127.0.0.1, to
# a fake SMTP server on loopback (fixtures/smtp/bounce-*.dialog) that
# refuses it at the greeting, MAIL FROM, RCPT TO (one-line and multi-line),
# end of data, or temporarily at RCPT TO. Exim's notice goes back to
# <case>@bounce.test, which an appendfile transport writes to an mbox file.
# For the temporary refusal the message is queued first and its spool file
# backdated past delay_warning (1m), so that the first delivery attempt
# sends the "delayed" warning.
#
# The Debian binary looks up its compiled-in user Debian-exim by name
# before it reads any configuration. .ci/setup adds that system user, as
# exim4-base's postinst would; without it, the test runs in a private
# mount namespace (unshare) where /etc/passwd and /etc/group are copies
# that have it (as uid/gid 65534). A chroot whose root is no mount point
# cannot make that namespace private: there the user must exist.
#
# BOUNCE_SAVE=DIR keeps each notice as DIR/real-exim-<case>.eml.
# Needs root, like the other tests in this directory.

if [ -z "${BOUNCE_EXIM_NS:-}" ] && ! getent passwd Debian-exim >/dev/null; then
	if ! command -v unshare >/dev/null 2>&1; then
		echo "not ok - this test needs unshare (Debian package util-linux)"
		exit 1
	fi
	BOUNCE_EXIM_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
	echo "not ok - unshare --mount failed (this test needs root, or the user Debian-exim: bash .ci/setup adds it)"
	exit 1
fi

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bounce_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bounce_lib.sh"

FAKESMTP=${1:-${FAKESMTP:-}}
EXIM_DEBS=${EXIM_DEBS:-/var/cache/smtpprobe-test/exim}
require_smtpprobe
require_tool jq jq
require_tool dpkg-deb dpkg
trap bounce_cleanup EXIT

# Exim quits at once after a refusal (no RSET): its own dialogues for those.
declare -A DIALOG=(
	[banner]=bounce-banner-554
	[mail]=bounce-exim-mail-550
	[rcpt]=bounce-exim-rcpt-550
	[rcpt-multiline]=bounce-exim-rcpt-550-multiline
	[end-of-data]=bounce-data-554
	[delayed]=bounce-exim-rcpt-451
)
# How Exim's own text names the step (a blank: any run of white space):
# checked in the raw notice.
# shellcheck disable=SC2034 # read by bounce_check_notices (a name reference)
declare -A EXIM_SAYS=(
	[banner]='SMTP error from remote mail server after initial connection:'
	[mail]='SMTP error from remote mail server after MAIL FROM:<mail@bounce\.test>'
	[rcpt]='SMTP error from remote mail server after RCPT TO:<user@rcpt\.example\.test>:'
	[rcpt-multiline]='SMTP error from remote mail server after RCPT TO:<user@rcpt-multiline\.example\.test>:'
	[end-of-data]='SMTP error from remote mail server after end of data:'
	[delayed]='SMTP error from remote mail server after RCPT TO:<user@delayed\.example\.test>:'
)

# ---- Exim, unpacked ----------------------------------------------------------

EXIM_ROOT=$BOUNCE_WORK/root
debs=("$EXIM_DEBS"/exim4-base_*.deb "$EXIM_DEBS"/exim4-config_*.deb "$EXIM_DEBS"/exim4-daemon-light_*.deb)
for d in "${debs[@]}"; do
	if [ ! -f "$d" ]; then
		echo "not ok - $d is missing: bash .ci/setup downloads exim4-base, exim4-config and exim4-daemon-light there"
		exit 1
	fi
	dpkg-deb -x "$d" "$EXIM_ROOT" || { echo "not ok - dpkg-deb -x $d failed"; exit 1; }
done
EXIM=$EXIM_ROOT/usr/sbin/exim4
if ldd "$EXIM" | grep -q 'not found'; then
	echo "not ok - the unpacked exim4 lacks libraries (the library packages of exim4-daemon-light's Depends; bash .ci/setup installs them):"
	ldd "$EXIM" | grep 'not found' | sed 's/^/#   /'
	exit 1
fi

EXIM_UID=65534 EXIM_GID=65534
if [ -n "${BOUNCE_EXIM_NS:-}" ]; then
	# Its user, in this mount namespace only.
	{ cat /etc/passwd; echo "Debian-exim:x:65534:65534:Exim (smtpprobe test):/nonexistent:/usr/sbin/nologin"; } \
		>"$BOUNCE_WORK/passwd"
	{ cat /etc/group; echo "Debian-exim:x:65534:"; } >"$BOUNCE_WORK/group"
	if ! mount --bind "$BOUNCE_WORK/passwd" /etc/passwd || ! mount --bind "$BOUNCE_WORK/group" /etc/group; then
		echo "not ok - could not bind-mount the test's /etc/passwd and /etc/group in the private namespace"
		exit 1
	fi
else
	EXIM_UID=$(id -u Debian-exim) EXIM_GID=$(id -g Debian-exim)
fi

# Exim re-executes itself as Debian-exim for the notices: its
# configuration, spool, log and mailboxes must be reachable by that uid.
chmod 755 "$BOUNCE_WORK"
mkdir -p "$BOUNCE_WORK/conf"
install -d -o "$EXIM_UID" -g "$EXIM_GID" "$BOUNCE_WORK/spool" "$BOUNCE_WORK/log" "$BOUNCE_WORK/mail"
for f in "$FIXTURES"/exim/*; do
	sed -e "s|@DIR@|$BOUNCE_WORK|g" -e "s|@USER@|$EXIM_UID|g" -e "s|@GROUP@|$EXIM_GID|g" -e "s|@EXIM@|$EXIM|g" -e "s|@CONF@|$BOUNCE_WORK/conf|g" \
		"$f" >"$BOUNCE_WORK/conf/$(basename "$f")"
done
CONF=$BOUNCE_WORK/conf/exim.conf
EXIM_LOG=$BOUNCE_WORK/log/mainlog

bounce_fakes_start
for c in "${CASES[@]}"; do
	echo "$c.example.test: ${FAKE_PORT[$c]}"
done >"$BOUNCE_WORK/ports"
echo "# $("$EXIM" -C "$CONF" -bV 2>/dev/null | head -n 1)"

# ---- the messages ------------------------------------------------------------

for c in "${CASES[@]}"; do
	[ "$c" = delayed ] && continue
	# -odi: deliver now, in the foreground; the notice follows at once.
	bounce_message "$c" | "$EXIM" -C "$CONF" -odi -f "$c@bounce.test" "user@$c.example.test" \
		2>>"$BOUNCE_WORK/exim.err" ||
		_assert_fail "$c: exim took the message" "exit status $?"
done

# The temporary refusal: queue the message (-odq), make it two minutes old
# in its spool header (line 4: received time and warnings sent), then have
# Exim deliver it (-M): the 451 defers it and, the message being older than
# delay_warning, Exim sends the warning.
bounce_message delayed | "$EXIM" -C "$CONF" -odq -f delayed@bounce.test user@delayed.example.test \
	2>>"$BOUNCE_WORK/exim.err" ||
	_assert_fail "delayed: exim queued the message" "exit status $?"
# Its id: the second field of the "<=" (arrival) line in the main log.
id=$(awk '$4 == "<=" && $5 == "delayed@bounce.test" { print $3; exit }' "$EXIM_LOG" 2>/dev/null)
header=$BOUNCE_WORK/spool/input/$id-H
if [ -z "$id" ] || [ ! -f "$header" ]; then
	_assert_fail "delayed: the message is in Exim's queue" "id '$id', no $header"
else
	awk -v back=120 'NR == 4 { $1 -= back } { print }' "$header" >"$header.new" &&
		chown "$EXIM_UID:$EXIM_GID" "$header.new" && mv "$header.new" "$header"
	"$EXIM" -C "$CONF" -M "$id" 2>>"$BOUNCE_WORK/exim.err" || true   # non-zero: the message stays deferred
fi

# The notice is in the mailbox once Exim logged its delivery there.
# shellcheck disable=SC2317 # called by wait_until
_delivered() { # CASE
	# "=> LOCAL_PART_DATA <ADDRESS> R=router T=transport"
	grep -qE "=> [^ ]+ <$1@bounce\\.test> R=bounces T=mbox" "$EXIM_LOG" 2>/dev/null
}

bounce_check_notices Exim "$BOUNCE_WORK/mail" "$EXIM_LOG" Mailer-Daemon@exim.test EXIM_SAYS

bounce_fakes_finish

# ---- explain ----------------------------------------------------------------

for c in "${CASES[@]}"; do
	mbox=$BOUNCE_WORK/mail/$c
	[ -s "$mbox" ] || continue
	# Exim's DSN Status is only the class (5.0.0, 4.0.0), not the
	# reply's enhanced code: status is the DSN's, reply.enhanced the reply's.
	bounce_explain "$mbox" "$c" mx.exim.test "$([ "${ACTION[$c]}" = failed ] && echo 5.0.0 || echo 4.0.0)"
done

assert_done
