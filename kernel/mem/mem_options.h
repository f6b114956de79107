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
};
extern struct mem_opts mem_opts;

#endif
