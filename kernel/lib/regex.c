/*
 * regex.c - the matcher described in regex.h: a parser for Go's RE2
 * syntax that compiles to a small instruction program, and a Pike VM that
 * runs the program over the string.  This file holds the compiler and the
 * interface; regex_class.c the characters, escapes and classes;
 * regex_vm.c the VM; regex_impl.h what they share.
 *
 * Why a VM and not backtracking: bench= is typed by a person, but the
 * pattern still runs inside the kernel; a backtracking matcher takes
 * exponential time on patterns like (a*)*b and recursion as deep as the
 * string.  The Pike VM (Thompson's construction, simulated breadth-first)
 * keeps one set of threads per string position, so a search costs at most
 * RX_MAX_INST steps per byte, with fixed-size arrays on the stack.
 *
 * Data structures:
 *   struct inst: op, fold (ignore ASCII case), arg (a byte, or the offset
 *     of a class's text in the pattern: classes are re-read from the
 *     pattern when matching, by the same class_scan() that validated
 *     them, so validation and matching cannot disagree), and x/y jump
 *     targets RELATIVE to the instruction.  Relative targets are what make
 *     the one-pass compiler simple: a repeat inserts a SPLIT in front of
 *     its operand (shifting it by one) or copies the operand ({n,m}), and a
 *     fragment's jumps stay right wherever it moves.
 *   struct rx: the pattern, the parse position, the first error, the
 *     current flags and the program (RX_MAX_INST instructions).
 *
 * Compilation (parse_seq, one C frame per group level): a sequence is
 * atoms and repeat operators, split by `|`.  At a `|` the branch so far
 * gets a SPLIT in front (to it, or to the next branch) and a JMP after it
 * to the end of the alternation; those JMPs are chained through x and
 * patched when the sequence ends.  Repeats:
 *     e*  SPLIT(+1, past) e JMP(back to SPLIT)
 *     e+  e SPLIT(back to e, +1)
 *     e?  SPLIT(+1, past) e
 *     e{n,m}  n copies of e, then m-n copies of e? (or e* for m = inf).
 * Laziness (`*?`, flag U) does not change whether a string matches, so it
 * is parsed and ignored.  Errors and their precedence follow Go's
 * regexp/syntax: a repeat after a repeat is "invalid nested repetition
 * operator", a repeat with nothing before it (start, `(`, `|`) is
 * "missing argument to repetition operator", counts are checked before
 * either.  Program size and nesting are bounded (RX_MAX_INST,
 * RX_MAX_DEPTH).
 *
 * Matching (run): threads are program counters; add() follows JMP, SPLIT
 * and the zero-width assertions (^ $ \A \z \b \B) with an explicit stack,
 * marking each pc once per position, so loops of empty-matching operands
 * ((a*)*) terminate; reaching MATCH ends the search with success.  A new
 * thread starts at every position (the search is unanchored).
 *
 * Invariants: every jump target lies in [0, n) once MATCH is appended;
 * add() visits each pc at most once per position, so its stack holds at
 * most 2 * RX_MAX_INST + 1 entries.
 * Context: pure, no allocation, no globals, no library calls.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/regex.h"
#include "kernel/lib/regex_impl.h"

static const char E_TOO_LARGE[] = "expression too large";

/* ---- the compiler ----------------------------------------------------- */

static int fail(struct rx *r, const char *why)
{
	if (r->err == NULL)
		r->err = why;
	return -1;
}

/* Append an instruction; its index, or -1 when the program is full. */
static int emit(struct rx *r, int op, unsigned arg, int fold)
{
	struct inst *i;

	if (r->n >= RX_MAX_INST)
		return fail(r, E_TOO_LARGE);
	i = &r->in[r->n];
	i->op = (uint8_t)op;
	i->fold = (uint8_t)(fold != 0);
	i->arg = (uint16_t)arg;
	i->x = i->y = 0;
	return r->n++;
}

/* Insert a SPLIT(x, y) at index at, moving [at, n) up by one. */
static int insert_split(struct rx *r, int at, int x, int y)
{
	int k;

	if (r->n >= RX_MAX_INST)
		return fail(r, E_TOO_LARGE);
	for (k = r->n; k > at; k--)
		r->in[k] = r->in[k - 1];
	r->n++;
	r->in[at].op = I_SPLIT;
	r->in[at].fold = 0;
	r->in[at].arg = 0;
	r->in[at].x = (int16_t)x;
	r->in[at].y = (int16_t)y;
	return at;
}

/* One literal code point: its UTF-8 bytes, folded if an ASCII letter. */
static void literal(struct rx *r, long v)
{
	unsigned char b[4];
	int n, k;

	if (v < 0x80) {
		b[0] = (unsigned char)v;
		n = 1;
	} else if (v < 0x800) {
		b[0] = (unsigned char)(0xc0 | v >> 6);
		b[1] = (unsigned char)(0x80 | (v & 0x3f));
		n = 2;
	} else if (v < 0x10000) {
		b[0] = (unsigned char)(0xe0 | v >> 12);
		b[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (v & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | v >> 18);
		b[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (v & 0x3f));
		n = 4;
	}
	for (k = 0; k < n; k++)
		emit(r, I_CHAR, b[k], (r->flags & F_FOLD) && swap_case(b[k]) != b[k]);
}

/* Go's parseInt: decimal digits without a leading zero; a number of 1e8
 * or more reads as -1.  Returns the end, or NULL if p holds no number. */
static const char *number(const char *p, int *v)
{
	long n = 0;

	if (!is_digit(*p) || (p[0] == '0' && is_digit(p[1])))
		return NULL;
	for (; is_digit(*p); p++)
		if (n < 100000000)
			n = n * 10 + (*p - '0');
	*v = n >= 100000000 ? -1 : (int)n;
	return p;
}

/* "{n}", "{n,}" or "{n,m}" at p, as Go's parseRepeat reads it.  Returns 1
 * with *min, *max (-1: no maximum) and *end, or 0 when p is not a repeat
 * (the '{' is then a literal).  A huge maximum makes *min -1 (as Go). */
static int repeat_spec(const char *p, int *min, int *max, const char **end)
{
	if (*p++ != '{' || (p = number(p, min)) == NULL)
		return 0;
	if (*p != ',') {
		*max = *min;
	} else if (*++p == '}') {
		*max = -1;
	} else {
		if ((p = number(p, max)) == NULL)
			return 0;
		if (*max < 0)
			*min = -1;
	}
	if (*p != '}')
		return 0;
	*end = p + 1;
	return 1;
}

/* Apply {min,max} (max -1: unbounded) to the fragment [atom, n). */
static void apply_repeat(struct rx *r, int atom, int min, int max)
{
	int len = r->n - atom, copies = max < 0 ? (min > 0 ? min : 1) : max, k;

	if (max == 0) {
		r->n = atom;  /* e{0}: matches the empty string */
		return;
	}
	/* the copies, and a SPLIT per optional copy (or SPLIT+JMP for e*) */
	if ((long)(copies - 1) * len + (max < 0 ? 2 : max - min) + r->n > RX_MAX_INST) {
		fail(r, E_TOO_LARGE);
		return;
	}
	for (k = 1; k < copies; k++) {  /* e e e ... (copies of them) */
		int j;

		for (j = 0; j < len; j++)
			r->in[r->n + j] = r->in[atom + j];
		r->n += len;
	}
	if (max < 0) {
		int last = atom + (copies - 1) * len;

		int j;

		if (min == 0) {  /* e*: the only copy loops, optionally */
			insert_split(r, last, 1, len + 2);
			if ((j = emit(r, I_JMP, 0, 0)) >= 0)
				r->in[j].x = (int16_t)(last - j);
		} else if ((j = emit(r, I_SPLIT, 0, 0)) >= 0) {
			r->in[j].x = (int16_t)(last - j);  /* ...e+: the last copy repeats */
			r->in[j].y = 1;
		}
		return;
	}
	/* copies min+1..max are optional; last first, so indexes hold */
	for (k = max - 1; k >= min; k--)
		insert_split(r, atom + k * len, 1, len + 1);
}

static int parse_seq(struct rx *r, int depth);

/* Parse one atom at r->p; returns its first instruction, or -2 when the
 * token emitted nothing a repeat could apply to (\Q\E).  *w: its repeat
 * weight (see parse_seq). */
static int parse_atom(struct rx *r, int depth, int *w)
{
	const char *p = r->p;
	int start = r->n, c = (unsigned char)*p;
	unsigned saved = r->flags;
	long v;

	*w = 1;
	switch (c) {
	case '(':
		if (depth >= RX_MAX_DEPTH) {
			fail(r, "expression nests too deeply");
			return -1;
		}
		/* "(?flags:" was handled by the caller, which left r->p after
		 * the ':' and set the group's flags; here only plain groups */
		r->p++;
		*w = parse_seq(r, depth + 1);
		if (r->err == NULL && *r->p != ')')
			fail(r, "missing closing )");
		if (r->err == NULL)
			r->p++;
		r->flags = saved;
		return start;
	case '[': {
		const char *end = p;

		rx_class_scan(p, 0, -1, &end, &r->err);
		if (r->err == NULL)  /* rx_compile() bounded the offset to 16 bits */
			emit(r, I_CLASS, (unsigned)(p - r->pat), r->flags & F_FOLD);
		r->p = end;
		return start;
	}
	case '.':
		emit(r, r->flags & F_DOTNL ? I_ANY : I_ANYNL, 0, 0);
		r->p++;
		return start;
	case '^':
		emit(r, r->flags & F_MULTI ? I_BOL : I_BOT, 0, 0);
		r->p++;
		return start;
	case '$':
		emit(r, r->flags & F_MULTI ? I_EOL : I_EOT, 0, 0);
		r->p++;
		return start;
	case '\\':
		switch (p[1]) {
		case 'A': emit(r, I_BOT, 0, 0); r->p += 2; return start;
		case 'z': emit(r, I_EOT, 0, 0); r->p += 2; return start;
		case 'b': emit(r, I_WORDB, 0, 0); r->p += 2; return start;
		case 'B': emit(r, I_NWORDB, 0, 0); r->p += 2; return start;
		case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
			emit(r, I_CLASS, (unsigned)(p - r->pat), r->flags & F_FOLD);
			r->p += 2;
			return start;
		case 'p': case 'P':
			fail(r, "Unicode classes (\\p, \\P) are not supported");
			return -1;
		case 'Q': {  /* literal text up to \E or the end */
			int last = -2;

			for (p += 2; *p != '\0' && !(p[0] == '\\' && p[1] == 'E'); p++) {
				last = r->n;
				literal(r, (unsigned char)*p);
			}
			r->p = *p != '\0' ? p + 2 : p;
			return last;
		}
		}
		if ((v = rx_escape(&p, &r->err)) >= 0)
			literal(r, v);
		r->p = p;
		return start;
	default:
		/* a literal; a UTF-8 sequence is one atom (a repeat takes it whole) */
		emit(r, I_CHAR, (unsigned)c, (r->flags & F_FOLD) && swap_case(c) != c);
		for (p++; c >= 0xc0 && (*p & 0xc0) == 0x80; p++)
			emit(r, I_CHAR, (unsigned char)*p, 0);
		r->p = p;
		return start;
	}
}

/*
 * At "(?": a flag group.  Returns 0 for "(?flags)" (r->flags changed,
 * r->p past the ')'), 1 for "(?flags:" (r->p past the ':'), -1 on error.
 */
static int parse_flags(struct rx *r)
{
	const char *t = r->p + 2;
	unsigned flags = r->flags, f;
	int neg = 0, saw = 0;

	if (t[0] == 'P' && t[1] == '<')
		return fail(r, "named groups (?P<name>re) are not supported");
	for (;;) {
		switch (*t++) {
		case 'i': f = F_FOLD; break;
		case 'm': f = F_MULTI; break;
		case 's': f = F_DOTNL; break;
		case 'U': f = F_LAZY; break;
		case '-':
			if (neg)
				return fail(r, "invalid or unsupported Perl syntax");
			neg = 1;
			saw = 0;
			continue;
		case ':':
		case ')':
			if (neg && !saw)
				return fail(r, "invalid or unsupported Perl syntax");
			r->flags = flags;
			r->p = t;
			return t[-1] == ':';
		default:
			return fail(r, "invalid or unsupported Perl syntax");
		}
		flags = neg ? flags & ~f : flags | f;
		saw = 1;
	}
}

/*
 * A sequence of branches separated by '|', up to ')' or the end.
 * Returns its repeat weight: the largest product of counted-repeat counts
 * on a path through it.  Go refuses a counted repeat (min or max >= 2)
 * whose count times its operand's weight exceeds 1000, so (a{100}){20} is
 * "invalid repeat count" here too; e{0} weighs 1, e{0,} weighs what e
 * does, and * + ? do not count (Go's repeatIsValid).
 */
static int parse_seq(struct rx *r, int depth)
{
	int branch = r->n, pending = -1, atom = -1, repeated = 0, w = 1, heaviest = 1;

	while (r->err == NULL && *r->p != '\0' && *r->p != ')') {
		int c = (unsigned char)*r->p, min = 0, max = 0, len;
		const char *end = r->p;

		if (c == '|') {
			r->p++;
			len = r->n - branch;
			if (insert_split(r, branch, 1, len + 2) < 0)
				break;
			int j = emit(r, I_JMP, 0, 0);
			if (j < 0)
				break;
			r->in[j].x = (int16_t)pending;  /* chained, patched below */
			pending = j;
			branch = r->n;
			atom = -1;
			repeated = 0;
			continue;
		}
		if (c == '*' || c == '+' || c == '?' || (c == '{' && repeat_spec(r->p, &min, &max, &end))) {
			if (c == '{') {
				if (min < 0 || min > RX_MAX_REPEAT || max > RX_MAX_REPEAT ||
				    (max >= 0 && min > max)) {
					fail(r, "invalid repeat count");
					break;
				}
				r->p = end;
			} else {
				min = c == '+';
				max = c == '?' ? 1 : -1;
				r->p++;
			}
			if (*r->p == '?')
				r->p++;  /* lazy: the same strings match */
			if (repeated) {
				fail(r, "invalid nested repetition operator");
				break;
			}
			if (atom < 0) {
				fail(r, "missing argument to repetition operator");
				break;
			}
			if (c == '{') {
				int m = max >= 0 ? max : min;

				if ((min >= 2 || max >= 2) && m * w > RX_MAX_REPEAT) {
					fail(r, "invalid repeat count");
					break;
				}
				w = max == 0 ? 1 : m == 0 ? w : m * w;
				if (w > heaviest)
					heaviest = w;
			}
			apply_repeat(r, atom, min, max);
			repeated = 1;
			continue;
		}
		repeated = 0;
		if (c == '(' && r->p[1] == '?') {
			unsigned saved = r->flags;
			int group = parse_flags(r);

			if (group <= 0)
				continue;  /* (?flags): no atom, the last one stays */
			if (depth >= RX_MAX_DEPTH) {
				fail(r, "expression nests too deeply");
				break;
			}
			atom = r->n;
			w = parse_seq(r, depth + 1);
			if (w > heaviest)
				heaviest = w;
			if (r->err == NULL && *r->p != ')')
				fail(r, "missing closing )");
			if (r->err == NULL)
				r->p++;
			r->flags = saved;
			continue;
		}
		int aw, a = parse_atom(r, depth, &aw);
		if (a != -2) {
			atom = a;
			w = aw;
			if (w > heaviest)
				heaviest = w;
		}
	}
	while (pending >= 0) {
		int next = r->in[pending].x;

		r->in[pending].x = (int16_t)(r->n - pending);
		pending = next;
	}
	return heaviest;
}

void rx_compile(struct rx *r, const char *pat)
{
	const char *q = pat;

	r->pat = r->p = pat;
	r->err = NULL;
	r->flags = 0;
	r->n = 0;
	while (*q != '\0')
		if (q++ - pat > RX_MAX_PAT) {
			fail(r, E_TOO_LARGE);
			return;
		}
	parse_seq(r, 0);
	if (r->err == NULL && *r->p == ')')
		fail(r, "unexpected )");
	if (r->err == NULL)
		emit(r, I_MATCH, 0, 0);
}

/* ---- the interface ---------------------------------------------------- */

const char *regex_error(const char *pat)
{
	struct rx r;

	if (pat == NULL)
		return "no expression";
	rx_compile(&r, pat);
	return r.err;
}

int regex_valid(const char *pat)
{
	return regex_error(pat) == NULL;
}

int regex_search(const char *pat, const char *s)
{
	struct rx r;

	if (pat == NULL || s == NULL)
		return 0;
	rx_compile(&r, pat);
	return r.err == NULL && rx_run(&r, s);
}
