/*
 * regex_class.c - characters, escapes and bracket classes of the bench=
 * matcher (regex.c's essay): the parsing of ASCII escapes (\x.., \d,
 * ...) and [...] classes, shared by the compiler (validation) and the
 * VM (matching), so the two cannot disagree.
 * Context: pure, no allocation, no globals, no library calls.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/regex.h"
#include "kernel/lib/regex_impl.h"

/* ---- characters and classes ------------------------------------------- */


static int unhex(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's ASCII groups: \d \s \w and the POSIX [:name:] classes. */
static int group_has(int g, int c)
{
	switch (g) {
	case 'd': return is_digit(c);
	case 's': return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
	case 'w': return is_word(c);
	case 'a' + 128: return is_alnum(c);                   /* alnum */
	case 'A' + 128: return is_upper(c) || is_lower(c);    /* alpha */
	case 'c' + 128: return c >= 0 && c <= 0x7f;           /* ascii */
	case 'b' + 128: return c == '\t' || c == ' ';         /* blank */
	case 'C' + 128: return (c >= 0 && c <= 0x1f) || c == 0x7f; /* cntrl */
	case 'g' + 128: return c >= '!' && c <= '~';          /* graph */
	case 'l' + 128: return is_lower(c);                   /* lower */
	case 'p' + 128: return c >= ' ' && c <= '~';          /* print */
	case 'P' + 128: return (c >= '!' && c <= '~') && !is_alnum(c); /* punct */
	case 'S' + 128: return (c >= '\t' && c <= '\r') || c == ' ';   /* space */
	case 'u' + 128: return is_upper(c);                   /* upper */
	case 'x' + 128: return unhex(c) >= 0;                 /* xdigit */
	}
	return 0;
}

static const struct { char name[8]; int g; } posix[] = {
	{ "alnum", 'a' + 128 }, { "alpha", 'A' + 128 }, { "ascii", 'c' + 128 },
	{ "blank", 'b' + 128 }, { "cntrl", 'C' + 128 }, { "digit", 'd' },
	{ "graph", 'g' + 128 }, { "lower", 'l' + 128 }, { "print", 'p' + 128 },
	{ "punct", 'P' + 128 }, { "space", 'S' + 128 }, { "upper", 'u' + 128 },
	{ "word", 'w' }, { "xdigit", 'x' + 128 },
};

/* c in group g (negated when neg), with case folding applied to the group
 * before the negation, as Go does. */
static int group_match(int g, int neg, int fold, int c)
{
	int in = group_has(g, c) || (fold && group_has(g, swap_case(c)));
	return in != neg;
}

/*
 * An escape at p ('\\'): its value (a code point, 0..0x10ffff), p moved
 * past it; or -1 with *err set.  The escapes a class and a literal share
 * (Go's parseEscape).
 */
long rx_escape(const char **pp, const char **err)
{
	const char *p = *pp + 1;
	int c = (unsigned char)*p++, i, a, b;
	long v = 0;

	switch (c) {
	case 0:
		*err = "trailing backslash at end of expression";
		return -1;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (*p < '0' || *p > '7')
			goto bad;  /* a lone \1 would be a backreference */
		/* fallthrough */
	case '0':
		v = c - '0';
		for (i = 1; i < 3 && *p >= '0' && *p <= '7'; i++)
			v = v * 8 + (*p++ - '0');
		break;
	case 'x':
		if (*p == '{') {
			for (p++, i = 0; *p != '}'; p++, i++) {
				if ((a = unhex((unsigned char)*p)) < 0)
					goto bad;
				v = v * 16 + a;
				if (v > 0x10ffff)
					goto bad;
			}
			if (i == 0)
				goto bad;
			p++;
			break;
		}
		if ((a = unhex((unsigned char)p[0])) < 0 || (b = unhex((unsigned char)p[1])) < 0)
			goto bad;
		v = a * 16 + b;
		p += 2;
		break;
	case 'a': v = 7; break;
	case 'f': v = 12; break;
	case 'n': v = 10; break;
	case 'r': v = 13; break;
	case 't': v = 9; break;
	case 'v': v = 11; break;
	default:
		if (c >= 0x80 || is_alnum(c))
			goto bad;
		v = c;  /* punctuation stands for itself */
	}
	*pp = p;
	return v;
bad:
	*err = "invalid escape sequence";
	return -1;
}

/* The first occurrence of ":]" in s, or NULL. */
static const char *find_colon_bracket(const char *s)
{
	for (; *s; s++)
		if (s[0] == ':' && s[1] == ']')
			return s;
	return NULL;
}

/*
 * Scan the class at p: a bracket class "[...]" or a Perl class "\d" and
 * friends.  Sets *end past it and returns whether byte c (-1: none, just
 * validate) is in it; on a malformed class sets *err (once) and returns 0.
 * Used both to validate at compile time and to match, so they agree.
 */
int rx_class_scan(const char *p, int fold, int c, const char **end, const char **err)
{
	const char *q = p + 1, *e;
	int neg = 0, in = 0, first = 1;
	long lo, hi;

	if (p[0] == '\\') {  /* \d \D \s \S \w \W */
		*end = p + 2;
		return group_match(p[1] | 0x20, is_upper(p[1]), fold, c);
	}
	if (*q == '^') {
		neg = 1;
		q++;
	}
	while (first || *q != ']') {
		first = 0;
		if (*q == '\0') {
			*err = "missing closing ]";
			return 0;
		}
		if (q[0] == '[' && q[1] == ':' && (e = find_colon_bracket(q + 2)) != NULL) {
			const char *name = q + 2;
			int gneg = *name == '^', g = -1;
			size_t k, len;

			name += gneg;
			len = (size_t)(e - name);
			for (k = 0; k < sizeof posix / sizeof posix[0] && g < 0; k++) {
				size_t j = 0;

				while (j < len && posix[k].name[j] == name[j])
					j++;
				if (j == len && posix[k].name[j] == '\0')
					g = posix[k].g;
			}
			if (g < 0) {
				*err = "invalid character class range";
				return 0;
			}
			in |= group_match(g, gneg, fold, c);
			q = e + 2;
			continue;
		}
		if (q[0] == '\\' && (q[1] == 'p' || q[1] == 'P')) {
			*err = "Unicode classes (\\p, \\P) are not supported";
			return 0;
		}
		if (q[0] == '\\' && ((q[1] | 0x20) == 'd' || (q[1] | 0x20) == 's' ||
		                      (q[1] | 0x20) == 'w')) {
			in |= group_match(q[1] | 0x20, is_upper(q[1]), fold, c);
			q += 2;
			continue;
		}
		/* a single character or a range lo-hi */
		if (*q == '\\') {
			if ((lo = rx_escape(&q, err)) < 0)
				return 0;
		} else {
			lo = (unsigned char)*q++;
		}
		hi = lo;
		if (q[0] == '-' && q[1] != ']' && q[1] != '\0') {
			q++;
			if (*q == '\\') {
				if ((hi = rx_escape(&q, err)) < 0)
					return 0;
			} else {
				hi = (unsigned char)*q++;
			}
			if (hi < lo) {
				*err = "invalid character class range";
				return 0;
			}
		}
		if (c >= 0)
			in |= (c >= lo && c <= hi) ||
			      (fold && swap_case(c) >= lo && swap_case(c) <= hi);
	}
	*end = q + 1;
	return c >= 0 && in != neg;
}
