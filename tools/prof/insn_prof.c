/*
 * insn_prof.c - a QEMU TCG plugin (API version 1, QEMU 7.x) that counts
 * guest instructions per translation-block start address.
 *
 * Purpose: an exact instruction profile of a guest under -icount: every
 * block's execution adds its instruction count to a counter kept for the
 * block's start address; at exit "vaddr count" lines are written to the
 * file named by the plugin argument out=PATH, for a symbol mapper
 * (tools/prof/insn_prof.py) to sum by function.
 * Data structures: an open-addressed table (2^20 buckets) of pointers to
 * (vaddr, counter) slots, filled under a mutex at translation time; the
 * counters are updated by inline adds (no helper call).  Under -icount
 * the vCPUs run one at a time, so the counts are exact; in parallel TCG
 * two vCPUs may race on a counter (use it under -icount).
 * Invariants: a slot never moves once a block points at it (the table
 * holds pointers to slots allocated one by one).  The counts do not
 * perturb the guest: an inline add is host code, not guest instructions
 * (a skynet boot under -icount counts the same instructions with and
 * without the plugin).
 * Build: tools/prof/insn_prof.py compiles it with the host gcc; it needs
 * no QEMU headers (the few API declarations are below, plugin API
 * version 1 as in QEMU 7.2).
 * Context: QEMU's vCPU threads (translation under the mutex).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
__attribute__((visibility("default"))) int qemu_plugin_version = 1;
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
	enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
	void (*cb)(qemu_plugin_id_t, void *), void *userdata);

struct slot { uint64_t vaddr, count; };
#define NBUCKET (1u << 20)
static struct slot *table[NBUCKET];  /* pointers: slots never move */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char out_path[512] = "insn_prof.txt";

static struct slot *lookup(uint64_t va)
{
	uint32_t h = (uint32_t)((va * 0x9e3779b97f4a7c15ull) >> 44);
	for (uint32_t i = 0; i < NBUCKET; i++) {
		struct slot **s = &table[(h + i) & (NBUCKET - 1)];
		if (!*s) {
			*s = calloc(1, sizeof(**s));
			if (!*s)
				abort();
			(*s)->vaddr = va;
			return *s;
		}
		if ((*s)->vaddr == va)
			return *s;
	}
	fprintf(stderr, "insn_prof: table full\n");
	abort();
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	pthread_mutex_lock(&mu);
	struct slot *s = lookup(qemu_plugin_tb_vaddr(tb));
	pthread_mutex_unlock(&mu);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &s->count,
	                                         qemu_plugin_tb_n_insns(tb));
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id, (void)p;
	FILE *f = fopen(out_path, "w");
	if (!f)
		return;
	for (uint32_t i = 0; i < NBUCKET; i++)
		if (table[i] && table[i]->count)
			fprintf(f, "%" PRIx64 " %" PRIu64 "\n", table[i]->vaddr, table[i]->count);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
