/*
 * regex_impl.h - what the matcher's files share (regex.c: the compiler and
 * the interface; regex_class.c: characters, escapes and classes;
 * regex_vm.c: the Pike VM).  The design is regex.c's essay.
 */
#ifndef TALLY_REGEX_IMPL_H
#define TALLY_REGEX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#define RX_MAX_INST   512
#define RX_MAX_DEPTH  64
#define RX_MAX_REPEAT 1000
#define RX_MAX_PAT    0xffff   /* class offsets are 16-bit */

enum {
	I_CHAR, I_ANY, I_ANYNL, I_CLASS,                 /* consume a byte */
	I_BOT, I_EOT, I_BOL, I_EOL, I_WORDB, I_NWORDB,   /* zero-width */
	I_SPLIT, I_JMP, I_MATCH,
};

#define F_FOLD  1u  /* (?i) */
#define F_MULTI 2u  /* (?m) */
#define F_DOTNL 4u  /* (?s) */
#define F_LAZY  8u  /* (?U): parsed, no effect on matching */

struct inst {
	uint8_t op;
	uint8_t fold;
	uint16_t arg;
	int16_t x, y;
};

struct rx {
	const char *pat;
	const char *p;
	const char *err;
	unsigned flags;
	int n;
	struct inst in[RX_MAX_INST];
};

static inline int is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static inline int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static inline int is_alnum(int c) { return is_digit(c) || is_upper(c) || is_lower(c); }
static inline int is_word(int c) { return is_alnum(c) || c == '_'; }
static inline int swap_case(int c) { return is_upper(c) ? c + 32 : is_lower(c) ? c - 32 : c; }

/* regex_class.c: one escape after a backslash at *pp (advanced past it):
 * the byte, or -1 with *err set. */
long rx_escape(const char **pp, const char **err);
/* regex_class.c: the class [...] at p (just after '['): whether byte c is
 * in it (fold: ASCII case ignored), with *end past the ']'; on a malformed
 * class 0 with *err set.  The compiler validates with it, the VM matches. */
int rx_class_scan(const char *p, int fold, int c, const char **end, const char **err);
/* regex.c: compile pat into r (r->err set on failure). */
void rx_compile(struct rx *r, const char *pat);
/* regex_vm.c: 1 when r matches somewhere in s. */
int rx_run(const struct rx *r, const char *s);

#endif
