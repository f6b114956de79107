/*
 * bootopt.c - parse the boot command line: "key=value ... -- argv ...".
 *
 * Purpose: see bootopt.h.  One pass over the line splits it into words;
 * words before the first unquoted "--" are options checked against the
 * caller's table and handed to its setters in order; words after it become
 * argv[1..].  The first problem stops the parse with a message that quotes
 * the offending word, e.g.
 *   boot option "tik=100": unknown key; valid keys: test, loglevel, ...
 *   boot option "tick=fast": bad value: expected a tick rate in Hz ...
 *   boot option "tick=100": duplicate key "tick"
 *   boot option "verbose": not key=value (application arguments go
 *   after "--")
 * and, from the table owner's cross-key checks after a clean parse,
 *   boot options "stackinit=1M" and "stackmax=64K": stackinit must not
 *   exceed stackmax
 *
 * Words: separated by spaces, tabs, CR or LF.  A double quote toggles
 * quoting anywhere in a word and is removed ("a b", key="a b" and
 * pre"fix a"b all work); there are no escapes.  An unterminated quote is an
 * error.  A quoted "--" is an ordinary word.  After the separator, every
 * word (including further "--") is an argument.
 *
 * Data structures: all words, option words included, are unquoted into
 * res->argbuf, NUL-terminated, one after another; argv[] points at the
 * argument words; a setter's val points into argbuf as well, so it stays
 * valid as long as res does (a setter may keep the pointer); given[i]
 * points at the whole "key=value" word of table entry i, for the
 * cross-key checks and their messages.  argv[0] is a copy of prog.  Duplicate detection uses a bitmap, so a table holds at
 * most BOOTOPT_MAX_OPTS (64) entries.
 *
 * Setter error text: why is printed verbatim after "bad value: "; it
 * should read like "expected 0 or 1".  If a setter
 * leaves why NULL, or the value is empty (setters are not called with an
 * empty value), the text is "expected " + the part of help before ": ".
 *
 * Invariants on success: argc >= 1, argv[argc] == NULL, every argv[i],
 * every val and every non-NULL given[i] lie inside argbuf, NUL-terminated.
 *
 * Numbers: bootopt_parse_u64 and bootopt_parse_duration refuse a value
 * that does not fit in 64 bits (each step is checked before it is taken),
 * so no setter ever sees a wrapped number.  On failure err is set and argc/argv are
 * unspecified (but argv[argc] is NULL).
 *
 * Locking: none.  Context: pure, no allocation, no globals; uses only
 * memcpy, strlen, strcmp and strncmp; runs first in the kernel (before the
 * console is configured) and in host tests.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/lib/bootfmt.h"

#define ARGV_MAX ((int)(sizeof ((struct bootopt_result *)0)->argv / \
                        sizeof(char *)))

struct parse {
	const char *p;            /* next unread character */
	struct bootopt_result *res;
	size_t used;              /* bytes of argbuf in use */
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void err_start(struct bootopt_result *res, const char *word)
{
	bootfmt_clear(res->err, sizeof res->err);
	if (word == NULL) {
		bootfmt_cat(res->err, sizeof res->err, "boot options: ");
	} else {
		bootfmt_cat(res->err, sizeof res->err, "boot option \"");
		bootfmt_cat(res->err, sizeof res->err, word);
		bootfmt_cat(res->err, sizeof res->err, "\": ");
	}
}

static void err_cat(struct bootopt_result *res, const char *s)
{
	bootfmt_cat(res->err, sizeof res->err, s);
}

static int too_long(struct bootopt_result *res)
{
	err_start(res, NULL);
	err_cat(res, "line too long: words exceed 2047 bytes");
	return -1;
}

/*
 * Read the next word into argbuf.  Returns 1 and sets *word (and *quoted,
 * whether any quote appeared), 0 at the end of the line, -1 on error.
 */
static int next_word(struct parse *ps, char **word, int *quoted)
{
	struct bootopt_result *res = ps->res;
	const char *start;
	size_t at;
	int inq = 0;

	while (is_space(*ps->p))
		ps->p++;
	if (*ps->p == '\0')
		return 0;
	start = ps->p;
	at = ps->used;
	*quoted = 0;
	for (; *ps->p != '\0' && (inq || !is_space(*ps->p)); ps->p++) {
		if (*ps->p == '"') {
			inq = !inq;
			*quoted = 1;
			continue;
		}
		if (at + 1 >= sizeof res->argbuf)
			return too_long(res);
		res->argbuf[at++] = *ps->p;
	}
	if (inq) {
		err_start(res, NULL);
		err_cat(res, "unterminated quote in: ");
		bootfmt_catn(res->err, sizeof res->err, start,
		             (uint64_t)(ps->p - start));
		return -1;
	}
	/* The check in the loop only runs for a stored character; an empty
	 * word ("") still needs its NUL byte. */
	if (at >= sizeof res->argbuf)
		return too_long(res);
	res->argbuf[at++] = '\0';
	*word = &res->argbuf[ps->used];
	ps->used = at;
	return 1;
}

static void list_keys(struct bootopt_result *res, const struct bootopt *opts,
                      size_t nopts)
{
	size_t i;

	err_cat(res, "valid keys: ");
	for (i = 0; i < nopts; i++) {
		if (i > 0)
			err_cat(res, ", ");
		err_cat(res, opts[i].key);
	}
}

/* "expected " + help up to ": " (or all of help). */
static void expected_from_help(struct bootopt_result *res,
                               const struct bootopt *o)
{
	const char *h = o->help != NULL ? o->help : "";
	uint64_t n = 0;

	while (h[n] != '\0' && !(h[n] == ':' && h[n + 1] == ' '))
		n++;
	err_cat(res, "expected ");
	bootfmt_catn(res->err, sizeof res->err, h, n);
}

static int do_option(struct bootopt_result *res, char *word,
                     const struct bootopt *opts, size_t nopts,
                     uint64_t *seen)
{
	char *eq = word;
	const char *why = NULL;
	size_t i, klen;

	while (*eq != '\0' && *eq != '=')
		eq++;
	if (*eq == '\0') {
		err_start(res, word);
		err_cat(res, "not key=value (application arguments go after "
		        "\"--\")");
		return -1;
	}
	klen = (size_t)(eq - word);
	for (i = 0; i < nopts; i++)
		if (strlen(opts[i].key) == klen &&
		    strncmp(opts[i].key, word, klen) == 0)
			break;
	if (i == nopts) {
		err_start(res, word);
		err_cat(res, klen == 0 ? "empty key; " : "unknown key; ");
		list_keys(res, opts, nopts);
		return -1;
	}
	if (*seen & (1ull << i)) {
		err_start(res, word);
		err_cat(res, "duplicate key \"");
		err_cat(res, opts[i].key);
		err_cat(res, "\" (each key may be given once)");
		return -1;
	}
	*seen |= 1ull << i;
	res->given[i] = word;
	if (eq[1] == '\0') {
		err_start(res, word);
		err_cat(res, "empty value: ");
		expected_from_help(res, &opts[i]);
		return -1;
	}
	if (opts[i].set(eq + 1, &why) != 0) {
		err_start(res, word);
		err_cat(res, "bad value: ");
		if (why != NULL)
			err_cat(res, why);
		else
			expected_from_help(res, &opts[i]);
		return -1;
	}
	return 0;
}

int bootopt_parse(const char *cmdline, const struct bootopt *opts,
                  size_t nopts, const char *prog, struct bootopt_result *res)
{
	struct parse ps = { cmdline != NULL ? cmdline : "", res, 0 };
	uint64_t seen = 0;
	int args = 0, quoted, r;
	char *word;
	size_t n;

	res->err[0] = '\0';
	res->argc = 0;
	res->argv[0] = NULL;
	for (n = 0; n < BOOTOPT_MAX_OPTS; n++)
		res->given[n] = NULL;
	if (nopts > BOOTOPT_MAX_OPTS) {
		err_start(res, NULL);
		err_cat(res, "table has more than 64 keys");
		return -1;
	}
	/* argv[0] = prog (at most 255 bytes), stored like any other word. */
	n = prog != NULL ? strlen(prog) : 0;
	if (n > 255)
		n = 255;
	if (n > 0)
		memcpy(res->argbuf, prog, n);
	res->argbuf[n] = '\0';
	ps.used = n + 1;
	res->argv[0] = res->argbuf;
	res->argc = 1;
	while ((r = next_word(&ps, &word, &quoted)) == 1) {
		if (!args && !quoted && strcmp(word, "--") == 0) {
			args = 1;
			continue;
		}
		if (!args) {
			if (do_option(res, word, opts, nopts, &seen) != 0)
				r = -1;
			if (r < 0)
				break;
			continue;
		}
		if (res->argc >= ARGV_MAX - 1) {
			err_start(res, NULL);
			err_cat(res, "too many application arguments (at most 62)");
			r = -1;
			break;
		}
		res->argv[res->argc++] = word;
	}
	res->argv[res->argc] = NULL;
	return r < 0 ? -1 : 0;
}

int bootopt_parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	unsigned base = 10, d, n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, n++) {
		char c = *s;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (v > (~0ull - d) / base)
			return -1;
		v = v * base + d;
	}
	if (n == 0)
		return -1;
	switch (*s) {
	case '\0': break;
	case 'k': case 'K': mul = 1ull << 10; s++; break;
	case 'm': case 'M': mul = 1ull << 20; s++; break;
	case 'g': case 'G': mul = 1ull << 30; s++; break;
	default: return -1;
	}
	if (*s != '\0' || v > ~0ull / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int bootopt_parse_duration(const char *s, unsigned long long *ns)
{
	unsigned long long v = 0, mul;
	const char *p = s;

	if (s == NULL)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (~0ull - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (p == s)
		return -1;
	if (strcmp(p, "s") == 0)
		mul = 1000000000ull;
	else if (strcmp(p, "ms") == 0)
		mul = 1000000ull;
	else if (strcmp(p, "us") == 0)
		mul = 1000ull;
	else
		return -1;
	if (v > ~0ull / mul)
		return -1;
	*ns = v * mul;
	return 0;
}

const char *bootopt_given(const struct bootopt_result *res,
                          const struct bootopt *opts, size_t nopts,
                          const char *key)
{
	size_t i;

	for (i = 0; i < nopts && i < BOOTOPT_MAX_OPTS; i++)
		if (strcmp(opts[i].key, key) == 0)
			return res->given[i];
	return NULL;
}

int bootopt_conflict(struct bootopt_result *res, const char *w1,
                     const char *w2, const char *why)
{
	bootfmt_clear(res->err, sizeof res->err);
	bootfmt_cat(res->err, sizeof res->err, "boot options \"");
	bootfmt_cat(res->err, sizeof res->err, w1);
	bootfmt_cat(res->err, sizeof res->err, "\" and \"");
	bootfmt_cat(res->err, sizeof res->err, w2);
	bootfmt_cat(res->err, sizeof res->err, "\": ");
	bootfmt_cat(res->err, sizeof res->err, why);
	return -1;
}
