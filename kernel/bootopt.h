/*
 * bootopt.h - boot options: "key=value ... -- argv..." parsed once.
 *
 * Purpose: the boot command line is the only way to configure Tally at run
 * time.  Options before "--" are key=value pairs from a fixed table; words
 * after "--" become the application's argv[1..].  An unknown key, a missing
 * "=", an empty or malformed value, or a duplicate key is an error whose
 * message names the offending word and lists the valid keys: Tally never
 * runs with a typo.
 *
 * Data structures: a caller-supplied table of struct bootopt; each entry
 * owns a setter that validates and stores its value.
 *
 * Invariants: on success every key in the line matched exactly one table
 * entry, argv[0..argc-1] and every non-NULL given[i] point into argbuf,
 * argv[argc] == NULL.  Setters only see one value each; rules that tie
 * two keys together are checked after the parse by the table's owner
 * (bootopt_given, bootopt_conflict), with the same status.
 * Words may be quoted with "..." (no escapes inside) to keep spaces.
 *
 * Context: pure, no allocation; runs before anything else in the kernel and
 * in host tests.
 */
#ifndef TALLY_BOOTOPT_H
#define TALLY_BOOTOPT_H

#include <stddef.h>

struct bootopt {
	const char *key;
	const char *help;  /* "0..3: boot log detail (default 1)" */
	/* Validate and store val; on error return -1 and set *why to a
	 * constant string describing what is expected. */
	int (*set)(const char *val, const char **why);
};

#define BOOTOPT_MAX_OPTS 64  /* most entries a table may have */

/*
 * Options are owned by the subsystem they configure: each registers one
 * set with BOOTOPT_SET in its own file (Linux's early_param, Unikraft's
 * per-library parameters), holding the variables its setters write.
 * kernel/options.c gathers every set from the linker section
 * "bootopt_sets", refuses a key registered twice, resets each set to its
 * defaults, parses the line against all of them, then runs each set's
 * check (rules that tie its keys to others').
 */
struct bootopt_result;
struct bootopt_set {
	const char *owner;                 /* "kernel", "cpu", "mem", "pc", ... */
	const struct bootopt *opts;
	unsigned n;
	void (*reset)(void);               /* back to the defaults; NULL: none */
	/* After every setter of every set succeeded: 0, or -1 through
	 * bootopt_conflict(); NULL: no rule. */
	int (*check)(struct bootopt_result *res);
};
#define BOOTOPT_SET(name, ...)                                                   \
	static const struct bootopt_set name##_set = { __VA_ARGS__ };                \
	__attribute__((used, section("bootopt_sets"))) static const struct bootopt_set \
		*const name##_set_ptr = &name##_set

struct bootopt_result {
	int argc;
	char *argv[64];
	/* given[i]: the "key=value" word of table entry i, NULL if absent */
	char *given[BOOTOPT_MAX_OPTS];
	char argbuf[2048];
	char err[512];  /* set when bootopt_parse returns -1 */
};

/* Parse cmdline against opts[0..nopts-1].  argv[0] is set to prog.
 * Returns 0, or -1 with res->err filled (the first error found). */
int bootopt_parse(const char *cmdline, const struct bootopt *opts,
                  size_t nopts, const char *prog, struct bootopt_result *res);

/* Helpers for setters: parse an unsigned number (decimal, 0x hex, optional
 * k/K/m/M/g/G suffix for multiples of 1024).  Return 0 or -1; a value that
 * does not fit in 64 bits is -1, never a wrapped number. */
int bootopt_parse_u64(const char *s, unsigned long long *out);
/* A duration: decimal digits and a unit, s, ms or us; *ns in nanoseconds.
 * Returns 0, or -1 (malformed, or more than 2^64-1 ns). */
int bootopt_parse_duration(const char *s, unsigned long long *ns);

/* Cross-key checks, after a successful parse: the "key=value" word given
 * for key (NULL if key was not on the line or is not in opts), and an
 * error naming two words:  boot options "w1" and "w2": why  (returns -1).
 * Inside a set's check, bootopt_word() (kernel/options.c) looks a key up
 * in every registered set. */
const char *bootopt_given(const struct bootopt_result *res,
                          const struct bootopt *opts, size_t nopts,
                          const char *key);
int bootopt_conflict(struct bootopt_result *res, const char *w1,
                     const char *w2, const char *why);

#endif
