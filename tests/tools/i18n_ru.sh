#!/bin/bash
# The text report in Russian (LANGUAGE=ru with the C.UTF-8 locale, the
# catalogue from the build tree via SMTPPROBE_LOCALEDIR), JSON in English
# whatever the locale, and English again in the C locale (where glibc
# ignores LANGUAGE). Uses the Postfix-worded "user unknown" fixture.
# shellcheck source=../dns/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../dns/lib.sh"

mo="${SMTPPROBE_LOCALEDIR:-}/ru/LC_MESSAGES/smtpprobe.mo"
[ -r "$mo" ] || skip_test "no Russian catalogue at $mo (is gettext installed?)"
dialog="$FIXTURES/smtp/rcpt-550-511.dialog"

export LC_ALL=C.UTF-8 LANGUAGE=ru
unset LANG LC_MESSAGES

fake_start 127.0.0.1 "$dialog"
run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
printf '%s\n' "$PROBE_OUT" | sed 's/^/# /'
expect_eq "ru: exit 67" "$PROBE_RC" 67
expect_match "ru: verdict word" "$PROBE_OUT" '^ОТКЛОНЁН +user@example\.test +на шаге RCPT TO'
expect_match "ru: labels" "$PROBE_OUT" $'\n  ответ +550 5\\.1\\.1 '
expect_match "ru: summary" "$PROBE_OUT" 'причина +такого почтового ящика на этом сервере нет \[текст "user unknown"\]'
expect_match "ru: remedy" "$PROBE_OUT" 'решение +проверьте написание имени до @'
expect_eq "ru: no English summary" "$(grep -c 'does not exist' <<<"$PROBE_OUT")" 0

fake_start 127.0.0.1 "$dialog"
run_probe --json --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
expect_jq "ru json: category" "$PROBE_OUT" .diagnosis.category recipient_unknown
expect_jq "ru json: summary in English" "$PROBE_OUT" .diagnosis.summary 'the mailbox does not exist on this server'
expect_jq "ru json: remedy in English" "$PROBE_OUT" .diagnosis.remedy 'check the spelling of the local part'
expect_jq "ru json: matched" "$PROBE_OUT" .diagnosis.matched 'text "user unknown"'
expect_jq "ru json: no list" "$PROBE_OUT" .diagnosis.list null
expect_eq "ru json: ASCII only" "$(LC_ALL=C grep -c -P '[^\x00-\x7f]' <<<"$PROBE_OUT")" 0

# Connection refused: the summary and the port 25 advice in Russian; JSON's message stays English too.
port=$(dead_port)
run_probe --timeout 3 --port "$port" 'user@[127.0.0.1]'
expect_match "ru refused: summary" "$PROBE_OUT" 'причина +почтовый сервер отклонил TCP-соединение'
expect_match "ru refused: port 25" "$PROBE_OUT" 'исходящий порт 25'
run_probe --json --timeout 3 --port "$port" 'user@[127.0.0.1]'
expect_jq "ru refused json: category" "$PROBE_OUT" .diagnosis.category connection_refused
expect_eq "ru refused json: ASCII only" "$(LC_ALL=C grep -c -P '[^\x00-\x7f]' <<<"$PROBE_OUT")" 0

# In the C locale glibc ignores LANGUAGE: English.
export LC_ALL=C
fake_start 127.0.0.1 "$dialog"
run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
expect_match "C: English verdict" "$PROBE_OUT" '^REJECTED +user@example\.test +at RCPT TO'
expect_match "C: English summary" "$PROBE_OUT" 'why +the mailbox does not exist on this server \[text "user unknown"\]'
assert_done
