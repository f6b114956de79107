/*
 * heap_misuse.c - the C library's malloc family on the runtime's heap,
 * used wrongly and rightly, as a program would.  argv[1] picks:
 *   doublefree   free the same 48-byte block twice: status 2,
 *                "fatal error: free(<addr>): double free (48-byte object ..."
 *   doublelarge  the same with a 1 MiB block
 *   xcpu         (2 CPUs or more) the same, the first free on the CPU that
 *                allocated the block (back into its cache's window), the
 *                second on another; the line "frees on two CPUs" first
 *   xcpu2        the same, the first free on another CPU, the second on
 *                the allocating one
 *   refreed      realloc a freed 48-byte block: "fatal error: realloc(<addr>):
 *                the block is free (freed already, or never returned) ..."
 *   regc         realloc a collected object: "realloc(<addr>): a collected
 *                object ..."
 *   gcfull       (gogc=off, 128 MiB of memory) fill the memory with
 *                collected garbage, then malloc, posix_memalign and
 *                tally_malloc_noscan 16 MiB each: each must collect and
 *                succeed ("gcfull: ok")
 *   interior     free a pointer 8 bytes into a block
 *   foreign      free the address of a local variable
 *   uaf          (with heapcheck=1) write to a freed block, then allocate
 *                until it is reused: "malloc: write after free at ..."
 *   uaflarge     the same with a 200 000-byte block (whole pages): "malloc:
 *                write after free at ... (pages of a freed large block)"
 *   huge         malloc and calloc beyond the arena or beyond memory
 *                return NULL with ENOMEM, and the program goes on: 256 MiB
 *                fit after a 1 GiB request failed ("huge: ok")
 *   api          calloc of reused memory is zero, realloc keeps the
 *                contents, posix_memalign and memalign honour alignments up
 *                to 64 KiB, malloc_usable_size covers the request, a
 *                malloc'd block is 16-byte aligned ("api: ok")
 * Each prints "survived" if the program goes on after a fatal mistake.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

static int fails;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("api: FAIL: %s\n", what);
		fails++;
	}
}

static int api(void)
{
	for (int round = 0; round < 4; round++) {
		unsigned char *p[64];
		for (int i = 0; i < 64; i++) {
			p[i] = malloc(200);
			check(p[i] && (uintptr_t)p[i] % 16 == 0, "malloc(200) is 16-byte aligned");
			memset(p[i], 0xee, 200);
		}
		for (int i = 0; i < 64; i++)
			free(p[i]);
		for (int i = 0; i < 64; i++) {
			p[i] = calloc(25, 8);
			for (int k = 0; k < 200; k++)
				if (p[i][k]) {
					check(0, "calloc of reused memory is zero");
					break;
				}
		}
		for (int i = 0; i < 64; i++)
			free(p[i]);
	}
	char *s = malloc(6);
	memcpy(s, "tally", 6);
	for (size_t n = 7; n < (4u << 20); n *= 3) {
		s = realloc(s, n);
		check(s && strcmp(s, "tally") == 0, "realloc keeps the contents");
	}
	free(s);
	for (size_t a = 8; a <= 65536; a *= 2) {
		void *q = NULL;
		check(posix_memalign(&q, a, 100) == 0 && (uintptr_t)q % a == 0, "posix_memalign");
		free(q);
		q = memalign(a, 5000);
		check(q && (uintptr_t)q % a == 0, "memalign");
		check(malloc_usable_size(q) >= 5000, "malloc_usable_size");
		free(q);
	}
	void *q = (void *)1;
	check(posix_memalign(&q, 24, 8) == EINVAL && q == (void *)1, "posix_memalign(24) is EINVAL");
	printf(fails ? "api: FAIL\n" : "api: ok\n");
	return fails ? 1 : 0;
}

/* xcpu, xcpu2: main allocates and spins on its CPU, so that a goroutine
 * it starts runs on another; one free is main's, the other the
 * goroutine's, in the order `first` says (0: main's first). */
static void *xblock;
static volatile int xcpu_main = -1, xcpu_other = -1, xstep;

static void xfree_other(void *arg)
{
	int first = (int)(intptr_t)arg;
	uint64_t give_up = tally_nanotime() + 10000000000ull;
	while (tally_cpu() == xcpu_main && tally_nanotime() < give_up)
		tally_yield();
	if (first == 0)
		while (xstep < 1)
			tally_yield();
	xcpu_other = tally_cpu();
	printf(xcpu_other != xcpu_main ? "frees on two CPUs\n" : "frees on one CPU\n");
	free(xblock);
	xstep = 2;
}

static void xcpu(int first)
{
	if (tally_ncpu() < 2) {
		printf("xcpu: needs 2 CPUs\n");
		exit(64);
	}
	xblock = malloc(48);
	xcpu_main = tally_cpu();
	tally_go(xfree_other, (void *)(intptr_t)first);
	if (first == 0) {
		free(xblock);
		xstep = 1;
	}
	while (xstep < 2)  /* spin: the goroutine must run elsewhere */
		__asm__ volatile("" ::: "memory");
	if (first == 1)
		free(xblock);
}

/* Collected garbage until the collected heap holds mib MiB (gogc=off: no
 * collection on the way; one means the garbage did not fit). */
static void garbage(uint64_t mib)
{
	struct tally_gc_stats st;
	tally_gc_read_stats(&st);
	uint64_t cycles = st.cycles;
	for (uint64_t n = 1;; n++) {
		char *p = tally_gc_alloc(60000, TALLY_GC_NOSCAN);
		if (!p) {
			printf("gcfull: tally_gc_alloc failed\n");
			exit(1);
		}
		p[0] = 1;
		if (n % 16 == 0) {
			tally_gc_read_stats(&st);
			if (st.cycles != cycles) {
				printf("gcfull: %llu MiB of garbage did not fit\n", (unsigned long long)mib);
				exit(1);
			}
			if (st.heap_alloc >= mib << 20)
				return;
		}
	}
}

/* 16 MiB by way, after 112 MiB of garbage in 128 MiB of memory. */
static int gcfull_one(int way)
{
	static const char *const name[] = { "malloc", "posix_memalign", "tally_malloc_noscan" };
	size_t big = 16u << 20;
	struct tally_gc_stats st;
	garbage(112);
	tally_gc_read_stats(&st);
	uint64_t cycles = st.cycles;
	void *p = NULL;
	if (way == 0)
		p = malloc(big);
	else if (way == 1 && posix_memalign(&p, 4096, big))
		p = NULL;
	else if (way == 2)
		p = tally_malloc_noscan(big);
	tally_gc_read_stats(&st);
	printf("gcfull: %s %s, %llu collection(s)\n", name[way], p ? "ok" : "NULL",
	       (unsigned long long)(st.cycles - cycles));
	if (!p)
		return 1;
	memset(p, 1, big);
	free(p);
	return 0;
}

static int gcfull(void)
{
	int bad = 0;
	for (int way = 0; way < 3; way++)
		bad += gcfull_one(way);
	printf(bad ? "gcfull: FAIL\n" : "gcfull: ok\n");
	return bad != 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "doublefree")) {
		void *p = malloc(48);
		free(p);
		free(p);
	} else if (!strcmp(m, "doublelarge")) {
		void *p = malloc(1 << 20);
		free(p);
		free(p);
	} else if (!strcmp(m, "xcpu") || !strcmp(m, "xcpu2")) {
		xcpu(!strcmp(m, "xcpu2"));
	} else if (!strcmp(m, "gcfull")) {
		return gcfull();
	} else if (!strcmp(m, "refreed")) {
		void *p = malloc(48);
		free(p);
		p = realloc(p, 4000);
		printf("realloc gave %p\n", p);
	} else if (!strcmp(m, "regc")) {
		void *p = realloc(tally_gc_alloc(48, TALLY_GC_SCAN), 4000);
		printf("realloc gave %p\n", p);
	} else if (!strcmp(m, "interior")) {
		char *p = malloc(64);
		free(p + 8);
	} else if (!strcmp(m, "foreign")) {
		int x = 0;
		free(&x);
	} else if (!strcmp(m, "uaf") || !strcmp(m, "uaflarge")) {
		/* write byte n/30 of a freed block of n bytes, then allocate
		 * blocks of its size until one reuses it */
		size_t n = m[3] ? 200000 : 3000;
		char *p = malloc(n);
		free(p);
		p[n / 30] = 1;
		for (int i = 0; i < 64; i++)
			malloc(n);
	} else if (!strcmp(m, "huge")) {
		errno = 0;
		void *p = malloc((size_t)1 << 40);
		int e1 = errno;
		errno = 0;
		void *q = calloc((size_t)1 << 33, 1 << 10);
		int e2 = errno;
		void *r = malloc(100);
		/* more than the machine has (512 MiB), though the arena has room:
		 * the pages it took before running out are given back, so a big
		 * block fits afterwards */
		errno = 0;
		void *b = malloc((size_t)1 << 30);
		int e3 = errno;
		char *c = malloc(256u << 20);
		if (c)
			memset(c, 1, 256u << 20);
		int ok = !p && e1 == ENOMEM && !q && e2 == ENOMEM && r && !b && e3 == ENOMEM && c;
		printf("huge: %s\n", ok ? "ok" : "FAIL");
		return ok ? 0 : 1;
	} else if (!strcmp(m, "api")) {
		return api();
	} else {
		printf("usage: heap_misuse doublefree|doublelarge|xcpu|xcpu2|gcfull|refreed|regc|uaflarge|interior|foreign|uaf|huge|api\n");
		return 64;
	}
	printf("survived\n");
	return 0;
}
