#!/bin/bash
# --auth without SMTPPROBE_PASSWORD or --password-file asks on the terminal
# with echo off: the secret reaches the server and nowhere else.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v script >/dev/null || { echo "not ok - script(1) is missing (util-linux)"; exit 1; }

fake_start 127.0.0.1 "$CLI_TEST_DIR/auth-plain-cleartext.dialog"
out=$(mktemp)
trap 'rm -f "$out"; dns_cleanup' EXIT
# script(1) gives smtpprobe a terminal; its input is what we "type".
coproc TTY { env -u SMTPPROBE_PASSWORD timeout 30 script -qec \
	"$SMTPPROBE --auth alice --allow-plaintext-auth --timeout 3 --port $FAKE_PORT 'user@[127.0.0.1]'" /dev/null
	echo "exit=$?"; }
# Type only once the prompt is there (echo is off by then).
prompt=
while IFS= read -r -d ':' -t 20 chunk <&"${TTY[0]}"; do
	prompt+=$chunk:
	[[ $prompt == *"Password for alice:" ]] && break
done
expect_match "prompt names the user" "$prompt" 'Password for alice:'
printf 'hunter2-Wonderland\n' >&"${TTY[1]}"
cat <&"${TTY[0]}" >"$out"
fake_finish
expect_eq "accepted: exit 0" "$(grep -o 'exit=[0-9]*' "$out")" exit=0
expect_match "report" "$(cat "$out")" 'ACCEPTED'
expect_eq "the secret was not echoed or printed" "$(grep -c 'hunter2' "$out")" 0
expect_eq "the server got the right credentials" "$FAKE_RC" 0
assert_done
