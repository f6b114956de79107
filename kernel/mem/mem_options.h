/*
 * mem_options.h - the boot options of memory (kernel/mem/mem_options.c).
 */
#ifndef TALLY_MEM_OPTIONS_H
#define TALLY_MEM_OPTIONS_H

#include <stdint.h>

struct mem_opts {
	uint64_t stackmax;      /* stackmax=64M: goroutine stack limit */
	uint64_t stackinit;     /* stackinit=4K: stack mapped at spawn */
	int heapcheck;          /* heapcheck=1: poison freed heap memory */
	int gogc;               /* gogc=100: collect at live * (1 + gogc/100); off: -1 */
	uint64_t gcmemlimit;    /* gcmemlimit=0: soft heap limit in bytes (0: none) */
	int gctrace;            /* gctrace=1: a line per collection */
	int gcconc;             /* gcconc=1: concurrent marking (dirty bits) */
	int gchelpers;          /* gchelpers=1: marking helpers on the other CPUs */
	int gcverify;           /* gcverify=1: check every cycle's marking (tests) */
	int gcgen;              /* gcgen=1: generational minor cycles (with gcconc=1) */
};
extern struct mem_opts mem_opts;

#endif
