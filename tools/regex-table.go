//go:build ignore

// regex-table.go - write tests/host/regex_table.h, the reference answers
// for tests/host/test_regex.c, from Go's own regexp package (the RE2
// syntax that Go's -bench flag takes and kernel/lib/regex.c implements).
//
//	go run tools/regex-table.go > tests/host/regex_table.h
//
// For every pattern (a hand-written list covering each feature, then
// random patterns over a small alphabet, fixed seed) it records either
// Go's error code ("missing closing )") or, for each subject in a fixed
// list, whether regexp.MatchString matches.  Patterns and subjects are
// ASCII: kernel/lib/regex.c matches bytes, Go matches UTF-8 characters, and
// the two agree on ASCII text.  Patterns Go accepts but kernel/lib/regex.c
// refuses on purpose (named groups, \p classes, programs over 512
// instructions, nesting over 64) are not listed here; test_regex.c tests
// them by hand.
package main

import (
	"fmt"
	"math/rand"
	"regexp"
	"regexp/syntax"
	"strings"
)

var subjects = []string{
	"", "a", "b", "ab", "ba", "aab", "abab", "abc", "ABC", "aBc",
	"a.b", "axb", "a-b", "a{2}", "aa", "{", "}", "[", "]", "(", ")",
	"\\", "|", "*", "a\nb", "x\ny\n", " ", "\t", "_", "0", "123",
	"a1_", "x y", "BenchmarkSpawn", "BenchmarkYield-4",
	"BenchmarkIPIRoundTrip", "BenchmarkTimerReset", "Timer",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"kK", "ss", "\x01\x7f", ":", "-]", "Aa0_",
}

var curated = []string{
	// literals, dot, anchors
	"", "a", "ab", "abc", "Spawn", ".", "..", "a.b", "^", "$", "^$",
	"^a", "a$", "^ab$", "^Benchmark", "Trip$", "^.*$", `\Aa`, `b\z`,
	`\A\z`, "^a|b$", "x^", "$x", "^^a", "a$$",
	// Go's -bench habits
	"(Spawn|Yield)", "Spawn|Yield", "^Benchmark(Spawn|Yield)",
	"BenchmarkIPI|Timer", "Yield-4$", "^(Spawn|Yield)$",
	"Timer(Reset)?$", `Benchmark[A-Z][a-z]+$`,
	// repeats
	"a*", "a+", "a?", "^a*$", "^a+$", "^a?$", "^a*b$", "^a+b$", "^ab?c$",
	"a*?", "a+?", "a??", "^a*?b$", "(ab)*", "^(ab)+$", "^(ab)*$",
	"^(a|b)*$", "(a*)*", "(a*)+", "(a+)*", "^(a*)*b$", "^(a|aa)+$",
	"^(a|a)*c", "(a*)*c", "^(a?){20}a{20}$", "^(.*)*x", "()*", "(|a)+",
	"(a|)*b", "^(?:a*)*$",
	// counted repeats
	"a{2}", "^a{2}$", "^a{2,}$", "^a{2,3}$", "^a{0}$", "^a{0,1}$",
	"^a{0,}b$", "^a{1,}b$", "^(ab){2}$", "^(a|b){2,3}$", "a{,3}",
	"a{01}", "a{", "a{x}", "{", "{}", "a{1", "a{1,", "a{1,2", "}",
	"^(a{2}){2}$", "(a{2,}){2}", "^(a{0}){5}$", "a{2}?",
	"a{1,2}?b", "x{0}y", "^x{0}$",
	// classes
	"[a]", "[abc]", "[a-c]", "[^a]", "[^abc]", "^[^a]*$", "[a-z]+",
	"^[A-Z][a-z]+$", "[0-9]", "[]a]", "[^]a]", "[a-]", "[-a]",
	"[a-b-c]", "[]-a]", "[.]", "[|]", "[*+?]", "[\\]]", `[\-]`,
	`[\\]`, "[a^]", "[[]", "[a[]", "[(]", "[{}]", "[$]", "[^^]",
	"[ -~]", "[\\x00-\\x1f]", `[\n]`, `[^\n]`, `[\t ]`, `[\d]`,
	`[\D]`, `[\w.]`, `[\W]`, `[\s]`, `[^\s]`, `[\d-z]`, `[a\d]`,
	"[[:alpha:]]", "[[:^alpha:]]", "[[:digit:]_]", "[[:upper:]]",
	"[[:lower:][:digit:]]", "[[:space:]]", "[[:punct:]]", "[[:word:]]",
	"[[:xdigit:]]+", "[[:blank:]]", "[[:cntrl:]]", "[[:graph:]]",
	"[[:print:]]", "[[:ascii:]]", "[[:alnum:]]", "[^[:alnum:]]",
	"[[:alpha:]-]", "[[:a]", "[[:]",
	// Perl classes and word boundaries
	`\d`, `\d+`, `^\d+$`, `\D`, `\s`, `\S`, `\w`, `\W`, `^\w+$`,
	`\bab`, `ab\b`, `\Ba`, `a\B`, `\b`, `\B`, `^\b`, `\bx\b`,
	// escapes
	`a\.b`, `\.`, `\*`, `\+`, `\?`, `\(`, `\)`, `\[`, `\]`, `\{`,
	`\}`, `\|`, `\\`, `\^`, `\$`, `\-`, `\_`, `\ `, `\:`, `\n`, `\t`,
	`\x41`, `\x{42}`, `\x62`, `\101`, `\0`, `\01`, `\012`, `\12`,
	`\a`, `\f`, `\v`, `\r`, `\x7f`, `\x{7F}`, `\x01`, `\Qa.b\E`,
	`\Q(\E`, `\Qa*`, `a\Q\E*`, `\Qab\E+`, `\Q\E`, `x\Q`,
	// groups and flags
	"(a)", "(?:a)", "(a)(b)", "((a))", "(?:(?:a|b)c)", "(?i)abc",
	"(?i)ABC", "(?i:a)b", "(?i:a)B", "a(?i)b", "(?i)[a-c]+$",
	"(?i)[^a]", "(?i)[[:upper:]]", "(?i)[[:^upper:]]", "(?i)k",
	"(?i)timer", "(?i)ss", `(?i)\W`, `(?i)[\D]`, "(?-i)a",
	"(?i)(?-i)a", "(?i-i)a", "(?s).", "(?s)^.$", "^.$", "(?m)^b",
	"(?m)a$", "(?m)^x$", "^b", "a$", "(?U)a+", "(?ims)a", "(?)",
	"(?:)", "(?i)", "a(?i)*", "(?m:^y)$", "(?s:a.b)", "(?i:A|b)c",
	"(?i)a|b", "(a|(?i)b)B",
	// alternation at every depth
	"a|b", "a|b|c", "|", "a|", "|a", "a||b", "(a|b)c", "(a|b|)c",
	"((a|b)|(c|d))e", "^(a|ab)(c|bcd)(d*)$", "(|)", "x(a|b)*y",
	// errors
	"(", ")", "(a", "a)", "(a))", "((a)", "[", "[a", "[]", "[^]",
	"[a-", "[z-a]", "[b-a]", "*", "+", "?", "*a", "a**", "a*+",
	"a+*", "a??*", "a*??", "(*)", "(|*)", "a|*", "^**", "x{2}{3}",
	"x{2}*", "{2}", "a{1001}", "a{2,1}", "a{99999999999}",
	"a{1,99999999999}", "(a{100}){20}", "(a{10}|b{2}){101}",
	"((a{60}){1,}){20}", `\`, `a\`, `[\`, `[a\`, `\8`, `\18`, `\1`,
	`\x`, `\x4`, `\xg1`, `\x{}`, `\x{110000}`, `\x{4`, `\q`, `\Z`,
	`\e`, `[\b]`, `[\z]`, `[\Q]`, `[a-\d]`, `\E`, "(?", "(?x)",
	"(?i-)", "(?--i)", "(?-)", "(?i", "(?P=n)", "(?P>x)", "(?<n>x)",
	"[[:foo:]]", "[[:alpha:]", "(?i)(", "a|b)", "x{1,2}{3}",
	"a{2}{", "(?i)*", `\Q\E*`, "(?:*)",
}

const alphabet = "ab.*+?|()[]^$\\{}120,-dwsiBQEx:"

func randomPatterns(n int) []string {
	r := rand.New(rand.NewSource(1))
	var out []string
	seen := map[string]bool{}
	for len(out) < n {
		l := 1 + r.Intn(9)
		var b strings.Builder
		for i := 0; i < l; i++ {
			b.WriteByte(alphabet[r.Intn(len(alphabet))])
		}
		s := b.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func cstr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '?':
			b.WriteString(`\?`) // no trigraphs
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func main() {
	fmt.Println("/* Generated by tools/regex-table.go from Go's regexp package; do not edit.")
	fmt.Println(" * Each row: a pattern, Go's error code (NULL: valid) and, when valid, one")
	fmt.Println(" * '0'/'1' per entry of rx_subjects: does regexp.MatchString match? */")
	fmt.Println("static const char *const rx_subjects[] = {")
	for _, s := range subjects {
		fmt.Printf("\t%s,\n", cstr(s))
	}
	fmt.Println("};")
	fmt.Println()
	fmt.Println("static const struct rx_row {")
	fmt.Println("\tconst char *pat;")
	fmt.Println("\tconst char *err;")
	fmt.Println("\tconst char *match;")
	fmt.Println("} rx_rows[] = {")
	pats := append(append([]string{}, curated...), randomPatterns(2000)...)
	for _, p := range pats {
		re, err := regexp.Compile(p)
		if err != nil {
			code := err.Error()
			if se, ok := err.(*syntax.Error); ok {
				code = string(se.Code)
			}
			fmt.Printf("\t{ %s, %s, NULL },\n", cstr(p), cstr(code))
			continue
		}
		var m strings.Builder
		for _, s := range subjects {
			if re.MatchString(s) {
				m.WriteByte('1')
			} else {
				m.WriteByte('0')
			}
		}
		fmt.Printf("\t{ %s, NULL, \"%s\" },\n", cstr(p), m.String())
	}
	fmt.Println("};")
}
