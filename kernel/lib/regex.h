/*
 * regex.h - regular expressions for selecting benchmarks by name
 * (bench=REGEX), in the RE2 syntax of Go's regexp package, as Go's -bench
 * takes them.
 *
 * Syntax (Go's regexp/syntax, Perl flavour):
 *   literals; `.`; `[abc]`, `[a-z]`, `[^...]`, `[[:alpha:]]` (ASCII POSIX
 *   classes, `[:^alpha:]` negated), `\d \D \s \S \w \W` inside and outside
 *   classes; groups `(re)`, `(?:re)`, flags `(?i)`, `(?i-s:re)` (i: ignore
 *   case, m: ^ $ at line ends, s: . matches \n, U: ungreedy); alternation
 *   `|` at any depth; repeats `* + ?`, `{n}`, `{n,}`, `{n,m}` (n, m <= 1000),
 *   each optionally lazy (`*?`); anchors `^ $ \A \z`, `\b \B`; escapes
 *   `\.` (any punctuation), `\a \f \n \r \t \v`, `\x7f`, `\x{7f}`, octal
 *   `\0`, `\123`, and `\Q...\E` literal text.  A `{` that does not start a
 *   valid repeat is a literal, as in Go.
 * Matching is a search (unanchored unless ^/$ say otherwise), like Go's
 *   regexp.MatchString.
 *
 * Not supported (refused, although Go accepts them): named groups
 * (?P<name>re), Unicode classes \pL, \p{Greek}; programs over 512
 * instructions ("expression too large"; Go's limit is higher) and nesting
 * deeper than 64 groups.  Text is bytes: non-ASCII bytes match themselves,
 * `.` and classes see one byte, not one UTF-8 character (benchmark names
 * are ASCII, where this equals Go).
 *
 * Invariants: regex_error() returns NULL exactly for the patterns
 * regex_search() can run; a malformed pattern matches nothing.  Neither
 * reads past the pattern's or the string's NUL.  Time is linear in
 * the string (at most 512 steps per byte); stack use is bounded: the
 * 4 KiB program plus 136 bytes per nested group (at most 64) while
 * compiling, the program plus 6 KiB of thread lists while matching, so
 * at most ~13 KiB (x86_64, clang -O2).
 * Context: pure, no allocation, no globals; safe in any context with
 * 16 KiB of stack to spare (the boot stack, a goroutine's stack).
 */
#ifndef TALLY_REGEX_H
#define TALLY_REGEX_H

/* NULL if pat is valid, else why not, in the words of Go's regexp/syntax
 * ("missing closing )", "invalid nested repetition operator", ...). */
const char *regex_error(const char *pat);
int regex_valid(const char *pat);
/* 1 if pat matches somewhere in s; 0 if not or pat is malformed. */
int regex_search(const char *pat, const char *s);

#endif
