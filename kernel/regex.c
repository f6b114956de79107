/*
 * regex.c - the matcher described in regex.h.
 *
 * Structure: regex_search splits the pattern at top-level `|` and tries
 * each branch at every start position; match_here walks one branch atom
 * by atom, recursing for repeats (classic backtracking in the style of
 * Pike's matcher, extended with classes and `+`/`?`).
 */
#include <stddef.h>
#include "kernel/regex.h"

/* Length of the atom at p (within [p, end)), 0 if malformed. */
static size_t atom_len(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	if (*p == '\\')
		return p + 1 < end ? 2 : 0;
	if (*p == '[') {
		const char *q = p + 1;
		if (q < end && *q == '^')
			q++;
		if (q < end && *q == ']')
			q++;  /* a leading ] is literal */
		while (q < end && *q != ']')
			q++;
		return q < end ? (size_t)(q - p + 1) : 0;
	}
	return 1;
}

static int atom_matches(const char *a, size_t alen, char c)
{
	if (c == 0)
		return 0;
	if (alen == 2 && a[0] == '\\')
		return a[1] == c;
	if (a[0] == '[') {
		const char *q = a + 1, *end = a + alen - 1;
		int neg = 0, hit = 0;
		if (*q == '^') {
			neg = 1;
			q++;
		}
		for (int first = 1; q < end; first = 0) {
			if (q + 2 < end && q[1] == '-') {
				hit |= c >= q[0] && c <= q[2];
				q += 3;
			} else {
				hit |= *q == c;
				q++;
			}
			(void)first;
		}
		return hit != neg;
	}
	return a[0] == '.' || a[0] == c;
}

static int match_here(const char *p, const char *end, const char *s);

static int match_repeat(const char *a, size_t alen, int min, const char *rest, const char *end,
                        const char *s)
{
	const char *t = s;
	while (atom_matches(a, alen, *t))
		t++;  /* greedy: take as many as possible, then back off */
	for (;;) {
		if (t - s >= min && match_here(rest, end, t))
			return 1;
		if (t == s)
			return 0;
		t--;
	}
}

static int match_here(const char *p, const char *end, const char *s)
{
	for (;;) {
		if (p == end)
			return 1;
		if (*p == '$' && p + 1 == end)
			return *s == 0;
		size_t alen = atom_len(p, end);
		if (!alen)
			return 0;
		const char *next = p + alen;
		if (next < end && (*next == '*' || *next == '+' || *next == '?')) {
			if (*next == '?') {
				if (atom_matches(p, alen, *s) && match_here(next + 1, end, s + 1))
					return 1;
				p = next + 1;
				continue;
			}
			return match_repeat(p, alen, *next == '+', next + 1, end, s);
		}
		if (!atom_matches(p, alen, *s))
			return 0;
		p = next;
		s++;
	}
}

static int branch_search(const char *p, const char *end, const char *s)
{
	if (p < end && *p == '^')
		return match_here(p + 1, end, s);
	do {
		if (match_here(p, end, s))
			return 1;
	} while (*s++);
	return 0;
}

int regex_valid(const char *pat)
{
	const char *p = pat;
	int have_atom = 0;
	while (*p) {
		if (*p == '|' || *p == '^') {
			have_atom = 0;
			p++;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?') {
			if (!have_atom)
				return 0;
			have_atom = 0;
			p++;
			continue;
		}
		if (*p == '$') {
			p++;
			continue;
		}
		size_t n = atom_len(p, p + __builtin_strlen(p));
		if (!n)
			return 0;
		p += n;
		have_atom = 1;
	}
	return 1;
}

int regex_search(const char *pat, const char *s)
{
	if (!regex_valid(pat))
		return 0;
	const char *b = pat;
	for (const char *p = pat;; p++) {
		if (*p == '|' || *p == 0) {
			/* a `|` inside a class or escaped is not a separator */
			if (branch_search(b, p, s))
				return 1;
			if (*p == 0)
				return 0;
			b = p + 1;
		} else if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			size_t n = atom_len(p, p + __builtin_strlen(p));
			p += n ? n - 1 : 0;
		}
	}
}
