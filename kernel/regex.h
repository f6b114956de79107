/*
 * regex.h - a small backtracking regular-expression matcher for selecting
 * benchmarks by name (bench=REGEX), as Go's -bench does.
 *
 * Syntax: literals, `.`, `*`, `+`, `?` (greedy, after an atom), `^`, `$`,
 * `|` (top-level alternation), character classes `[abc]`, `[a-z]`,
 * `[^...]`, and `\` escaping the next character.  Matching is a search
 * (unanchored unless ^/$ say otherwise), like Go's regexp.MatchString.
 *
 * Invariants: never reads past the pattern's or the string's NUL; a
 * malformed pattern (unclosed class, dangling `\`, repeat with no atom) is
 * reported by regex_valid() and matches nothing.
 * Context: pure, recursive (depth bounded by pattern length + string
 * length), no allocation.
 */
#ifndef TALLY_REGEX_H
#define TALLY_REGEX_H

int regex_valid(const char *pat);
int regex_search(const char *pat, const char *s);

#endif
