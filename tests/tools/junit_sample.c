/*
 * junit_sample - print a JUnit report full of hostile strings (markup,
 * "]]>", control characters, invalid UTF-8, bidi overrides) for
 * tests/tools/junit_schema.sh to validate with xmllint against
 * fixtures/junit/junit.xsd and to read back through a real XML parser.
 */
#include <stdio.h>

#include "junit.h"

int main(void)
{
	struct junit *j = junit_new("smtpprobe <sample> & \"quotes\"");
	junit_suite_begin(j, "expect.txt", junit_local_hostname(), 1785499200);
	junit_property(j, "argv", "--expect 'x' \"y\" <z>");
	junit_case(j, "example.org", "sales@example.org accepted", 0.25, JUNIT_PASS, NULL, NULL, NULL);
	junit_case(j, "example.org", "a\"b'<c>&d]]>e", 1.5, JUNIT_FAILURE, NULL,
		   "verdict: expected rejected, got accepted\tTAB\r\nCRLF",
		   "250 2.1.5 <ok> & \"fine\" ]]> ]]]]><![CDATA[x\n\x01\x02\x1b[31m\x7f\xc2\x9b\xe2\x80\xae"
		   "\xff\xfe\xc0\xaf\xed\xa0\x80 h\xc3\xa9 \xe7\x94\xa8");
	junit_case(j, "bad\xff\x01host", "error case", 2, JUNIT_ERROR, "dns\"", "no such domain\x0b", "");
	junit_case(j, "example.net", "skipped case", 0, JUNIT_SKIPPED, NULL, "not probed", NULL);
	junit_suite_begin(j, "second", "", 0);
	junit_case(j, NULL, "in the second suite", 0.001, JUNIT_PASS, NULL, NULL, NULL);
	int rc = junit_save(j, "-");
	junit_free(j);
	return rc == 0 ? 0 : 1;
}
