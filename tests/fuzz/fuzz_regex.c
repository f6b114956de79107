/*
 * fuzz_regex.c - kernel/lib/regex.c on arbitrary patterns and strings.
 *
 * Input: the pattern, a '\n', the string (no '\n': the string is empty).
 * Promises checked (regex.h): regex_error() is NULL or a non-empty
 * message; a malformed pattern matches nothing; on a valid pattern
 * regex_search() returns 0 or 1 and agrees with two rewrites that must
 * not change its meaning: "(?:p)" (when that still fits the limits) and
 * "(?:p)|\x01\x02\x03" on a string without that sequence.  Time is
 * bounded by libFuzzer's -timeout (the matcher is linear); memory and
 * stack misuse by the sanitizers.
 */
#include <stdint.h>
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/lib/regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *pat, *s, *nl, *wrap;
	const char *e;
	int m;

	FZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	pat = buf;
	nl = strchr(buf, '\n');
	s = nl ? nl + 1 : buf + strlen(buf);
	if (nl)
		*nl = '\0';
	e = regex_error(pat);
	m = regex_search(pat, s);
	FZ_CHECK(m == 0 || m == 1);
	if (e != NULL) {
		FZ_CHECK(e[0] != '\0');
		FZ_CHECK(m == 0);
		free(buf);
		return 0;
	}
	FZ_CHECK(regex_valid(pat));
	wrap = malloc(strlen(pat) + 32);
	FZ_CHECK(wrap != NULL);
	strcpy(wrap, "(?:");
	strcat(wrap, pat);
	strcat(wrap, ")");
	if (regex_error(wrap) == NULL)
		FZ_CHECK(regex_search(wrap, s) == m);
	strcat(wrap, "|\x01\x02\x03");
	if (regex_error(wrap) == NULL && strstr(s, "\x01\x02\x03") == NULL)
		FZ_CHECK(regex_search(wrap, s) == m);
	free(wrap);
	free(buf);
	return 0;
}
