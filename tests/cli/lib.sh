# shellcheck shell=bash
# Set-up for the command-line tests: the assertions, unbound and fakesmtp
# helpers of the DNS tests, and the fakesmtp path as first argument.
CLI_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../dns/lib.sh
. "$CLI_TEST_DIR/../dns/lib.sh"
require_smtpprobe
