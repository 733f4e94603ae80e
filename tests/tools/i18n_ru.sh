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

# The detail line, made while probing (probe_session.c), in Russian; with --json
# (and its transcript, -v) the same text stays English.
run_probe --timeout 3 --server "127.0.0.1:$port" user@example.test
expect_match "ru server refused: detail" "$PROBE_OUT" $'\n  детали +в соединении отказано \\(\\[127\\.0\\.0\\.1\\]:'"$port"'\)'
expect_eq "ru server refused: no English detail" "$(grep -c 'connection refused' <<<"$PROBE_OUT")" 0
run_probe -v --timeout 3 --server "127.0.0.1:$port" user@example.test
expect_match "ru server refused: transcript" "$PROBE_ERR" '^\*\*\* подключение к 127\.0\.0\.1 '
run_probe --json -v --timeout 3 --server "127.0.0.1:$port" user@example.test
expect_jq "ru server refused json: message" "$PROBE_OUT" .message "connection refused ([127.0.0.1]:$port)"
expect_jq "ru server refused json: transcript" "$PROBE_OUT" '.transcript[0]' "*** connecting to 127.0.0.1 [127.0.0.1]:$port"
expect_eq "ru server refused json: ASCII only" "$(LC_ALL=C grep -c -P '[^\x00-\x7f]' <<<"$PROBE_OUT")" 0

# --help, usage errors and the invalid-address line in Russian (all before or beside probing).
run_probe --help
expect_eq "ru help: exit 0" "$PROBE_RC" 0
expect_match "ru help: usage" "$PROBE_OUT" '^использование: smtpprobe '
expect_match "ru help: option" "$PROBE_OUT" $'\n +--server HOST\\[:PORT\\] +проверять этот сервер вместо MX-хостов домена\n'
expect_eq "ru help: no English" "$(grep -c 'instead of the domain' <<<"$PROBE_OUT")" 0
run_probe --port 0 user@example.test
expect_eq "ru usage: exit 64" "$PROBE_RC" 64
expect_match "ru usage: message" "$PROBE_ERR" '^smtpprobe: неверное значение --port "0": '
run_probe --json --color sometimes user@example.test
expect_match "ru usage with --json: Russian too" "$PROBE_ERR" '^smtpprobe: неверное значение --color '
run_probe --timeout 3 'no-at-sign'
expect_eq "ru invalid address: exit 65" "$PROBE_RC" 65
expect_match "ru invalid address: line" "$PROBE_ERR" '^smtpprobe: неверный адрес "no-at-sign": нет @ между именем и доменом$'
run_probe --json --timeout 3 'no-at-sign'
expect_match "ru invalid address json: English" "$(jq -r .message <<<"$PROBE_OUT")" '^invalid address: '

# In the C locale glibc ignores LANGUAGE: English.
export LC_ALL=C
fake_start 127.0.0.1 "$dialog"
run_probe --timeout 3 --server "127.0.0.1:$FAKE_PORT" user@example.test
fake_finish
expect_match "C: English verdict" "$PROBE_OUT" '^REJECTED +user@example\.test +at RCPT TO'
expect_match "C: English summary" "$PROBE_OUT" 'why +the mailbox does not exist on this server \[text "user unknown"\]'
run_probe --timeout 3 --server "127.0.0.1:$port" user@example.test
expect_match "C: English detail" "$PROBE_OUT" $'\n  detail +connection refused \\(\\[127\\.0\\.0\\.1\\]:'"$port"'\)'
run_probe --timeout 3 'no-at-sign'
expect_match "C: English invalid address" "$PROBE_ERR" '^smtpprobe: invalid address "no-at-sign": .'
assert_done
