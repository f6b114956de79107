/*
 * regex_vm.c - the Pike VM of the bench= matcher (regex.c's essay,
 * "Matching"): threads are program counters, one set per string
 * position, so a search costs at most RX_MAX_INST steps per byte.
 * Context: pure, no allocation, no globals, no library calls; its arrays
 * live on the stack (rx_run is noinline to keep them out of the
 * compiler's recursion).
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/regex.h"
#include "kernel/lib/regex_impl.h"

/* ---- the VM ----------------------------------------------------------- */

struct vm {
	const struct rx *r;
	const unsigned char *s;
	uint32_t gen;
	uint32_t mark[RX_MAX_INST];
	uint16_t stack[2 * RX_MAX_INST + 1];
};

/* Add pc's closure at position pos to list; 1 if it reaches MATCH. */
static int add(struct vm *m, size_t pos, int pc0, uint16_t *list, int *n)
{
	const unsigned char *s = m->s;
	int sp = 0;

	m->stack[sp++] = (uint16_t)pc0;
	while (sp > 0) {
		int pc = m->stack[--sp], w0, w1;
		const struct inst *i = &m->r->in[pc];

		if (m->mark[pc] == m->gen)
			continue;
		m->mark[pc] = m->gen;
		switch (i->op) {
		case I_MATCH:
			return 1;
		case I_JMP:
			m->stack[sp++] = (uint16_t)(pc + i->x);
			continue;
		case I_SPLIT:
			m->stack[sp++] = (uint16_t)(pc + i->y);
			m->stack[sp++] = (uint16_t)(pc + i->x);
			continue;
		case I_BOT:
			if (pos == 0)
				m->stack[sp++] = (uint16_t)(pc + 1);
			continue;
		case I_EOT:
			if (s[pos] == '\0')
				m->stack[sp++] = (uint16_t)(pc + 1);
			continue;
		case I_BOL:
			if (pos == 0 || s[pos - 1] == '\n')
				m->stack[sp++] = (uint16_t)(pc + 1);
			continue;
		case I_EOL:
			if (s[pos] == '\0' || s[pos] == '\n')
				m->stack[sp++] = (uint16_t)(pc + 1);
			continue;
		case I_WORDB:
		case I_NWORDB:
			w0 = pos > 0 && is_word(s[pos - 1]);
			w1 = is_word(s[pos]);
			if ((w0 != w1) == (i->op == I_WORDB))
				m->stack[sp++] = (uint16_t)(pc + 1);
			continue;
		default:
			list[(*n)++] = (uint16_t)pc;
		}
	}
	return 0;
}

static int consumes(const struct rx *r, const struct inst *i, int c)
{
	const char *end, *err = NULL;

	switch (i->op) {
	case I_CHAR:
		return c == i->arg || (i->fold && swap_case(c) == i->arg);
	case I_ANY:
		return 1;
	case I_ANYNL:
		return c != '\n';
	case I_CLASS:
		return rx_class_scan(r->pat + i->arg, i->fold, c, &end, &err);
	}
	return 0;
}

/* noinline: its arrays need not share a frame with the compiler's recursion */
__attribute__((noinline)) int rx_run(const struct rx *r, const char *str)
{
	struct vm m;
	uint16_t list[2][RX_MAX_INST];
	int n[2] = { 0, 0 }, cur = 0, k;
	size_t pos;

	m.r = r;
	m.s = (const unsigned char *)str;
	m.gen = 1;
	for (k = 0; k < r->n; k++)
		m.mark[k] = 0;
	if (add(&m, 0, 0, list[cur], &n[cur]))
		return 1;
	for (pos = 0; m.s[pos] != '\0'; pos++) {
		int nxt = !cur;

		m.gen++;
		n[nxt] = 0;
		for (k = 0; k < n[cur]; k++) {
			int pc = list[cur][k];

			if (consumes(r, &r->in[pc], m.s[pos]) &&
			    add(&m, pos + 1, pc + 1, list[nxt], &n[nxt]))
				return 1;
		}
		if (add(&m, pos + 1, 0, list[nxt], &n[nxt]))  /* a match may start here */
			return 1;
		cur = nxt;
	}
	return 0;
}
