/*
 * mem_options.c - boot options of memory: stackmax, stackinit, heapcheck,
 * gogc, gcmemlimit, gctrace.
 *
 * Registered with BOOTOPT_SET (kernel/bootopt.h); the values land in
 * mem_opts (mem_options.h).  Rule checked here: stackinit <= stackmax.
 * Context: boot only (and host tests, fuzzers): pure, no allocation.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/kernel.h"
#include "kernel/mem/mem_options.h"

#define MEM_OPTS_DEFAULT { .stackmax = 64ull << 20, .stackinit = 4096, .gogc = 100, .gcconc = 1, .gchelpers = 1 }
static const struct mem_opts defaults = MEM_OPTS_DEFAULT;
struct mem_opts mem_opts = MEM_OPTS_DEFAULT;

static int set_stackmax(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < (64u << 10) || n > (1ull << 30) || n % 4096) {
		*why = "expected a multiple of 4K from 64K to 1G, like 64M";
		return -1;
	}
	mem_opts.stackmax = n;
	return 0;
}

static int set_stackinit(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n < 4096 || n > (1u << 20) || n % 4096) {
		*why = "expected a multiple of 4K from 4K to 1M";
		return -1;
	}
	mem_opts.stackinit = n;
	return 0;
}

/* "0" or "1" into *out. */
static int parse_bit(const char *v, int *out, const char **why)
{
	if ((v[0] != '0' && v[0] != '1') || v[1]) {
		*why = "expected 0 or 1";
		return -1;
	}
	*out = v[0] == '1';
	return 0;
}

static int set_heapcheck(const char *v, const char **why) { return parse_bit(v, &mem_opts.heapcheck, why); }

static int set_gogc(const char *v, const char **why)
{
	unsigned long long n;
	if (!strcmp(v, "off")) {
		mem_opts.gogc = -1;
		return 0;
	}
	if (bootopt_parse_u64(v, &n) < 0 || n > 100000) {
		*why = "expected a percent from 0 to 100000, or off";
		return -1;
	}
	mem_opts.gogc = (int)n;
	return 0;
}

static int set_gcmemlimit(const char *v, const char **why)
{
	unsigned long long n;
	/* at most 2^63 - 1: tally_gc_memory_limit reads it back as an
	 * int64_t, where below 0 means "leave it" */
	if (bootopt_parse_u64(v, &n) < 0 || (n && n < (1u << 20)) || n > (unsigned long long)INT64_MAX) {
		*why = "expected a size from 1M to 2^63-1 bytes, like 256M (0: no limit)";
		return -1;
	}
	mem_opts.gcmemlimit = n;
	return 0;
}

static int set_gctrace(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n > 2) {
		*why = "expected 0, 1 or 2";
		return -1;
	}
	mem_opts.gctrace = (int)n;
	return 0;
}
static int set_gcconc(const char *v, const char **why) { return parse_bit(v, &mem_opts.gcconc, why); }
static int set_gchelpers(const char *v, const char **why) { return parse_bit(v, &mem_opts.gchelpers, why); }
static int set_gcverify(const char *v, const char **why) { return parse_bit(v, &mem_opts.gcverify, why); }
static int set_gcgen(const char *v, const char **why) { return parse_bit(v, &mem_opts.gcgen, why); }

static const struct bootopt opts[] = {
	{ "stackmax", "64M: goroutine stack limit (reserved address space per goroutine)", set_stackmax },
	{ "stackinit", "4K: goroutine stack mapped at spawn; the rest grows on demand", set_stackinit },
	{ "heapcheck", "0|1: poison freed heap memory, report a write after free on reuse", set_heapcheck },
	{ "gogc", "100|off: collect when the heap grows this % over the live heap", set_gogc },
	{ "gcmemlimit", "0|256M: soft limit on the collected heap (0: none)", set_gcmemlimit },
	{ "gctrace", "0|1|2: print a line for every collection (2: and its pauses' parts in ns)", set_gctrace },
	{ "gcconc", "1|0: mark concurrently, the page tables' dirty bits as write barrier (0: stop the world)", set_gcconc },
	{ "gchelpers", "1|0: with gcconc=1 and more than one CPU, a marking helper on every other CPU (0: the collector alone)", set_gchelpers },
	{ "gcgen", "0|1: with gcconc=1, minor cycles that trace only from the roots and the pages written since the last cycle, a full cycle when they promoted a quarter of the last full cycle's live heap", set_gcgen },
	{ "gcverify", "0|1: at the end of every collection's marking, check that no pointer from a root or a marked object names an unmarked one (a fatal error if one does; slow: for tests)", set_gcverify },
};

static void reset(void) { mem_opts = defaults; }

static int check(struct bootopt_result *res)
{
	if (mem_opts.stackinit > mem_opts.stackmax)
		return bootopt_conflict(res, bootopt_word(res, "stackinit", "stackinit (default 4K)"),
		                        bootopt_word(res, "stackmax", "stackmax (default 64M)"),
		                        "stackinit must not exceed stackmax");
	if (mem_opts.gcgen && !mem_opts.gcconc)
		return bootopt_conflict(res, bootopt_word(res, "gcgen", "gcgen"),
		                        bootopt_word(res, "gcconc", "gcconc (default 1)"),
		                        "gcgen=1 needs concurrent marking (gcconc=1): its remembered set is the dirty record");
	return 0;
}

BOOTOPT_SET(mem, "mem", opts, sizeof(opts) / sizeof(opts[0]), reset, check);
