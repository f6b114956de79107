/*
 * gc_oom.c - keep every collected object reachable until memory runs out:
 * the collector collects, finds nothing to free, and the program ends with
 * the out-of-memory report (status 71) naming the live heap and the goal.
 * "survived" would mean it went on.  With argv[1] "typed": a typed object
 * of SIZE_MAX - 4 bytes, whose size in words once wrapped to 0 and gave
 * back a small object; it must end in the same report, naming that size.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tally.h>

struct blob {
	struct blob *next;
	char data[4088];
};

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "typed") == 0) {
		uint64_t bm = 1;
		void *p = tally_gc_alloc_typed(SIZE_MAX - 4, &bm, 1);
		printf("typed: %p\n", p);
		printf("survived\n");
		return 0;
	}
	struct blob *head = NULL;
	for (long i = 0;; i++) {
		struct blob *b = tally_gc_alloc(sizeof(*b), TALLY_GC_SCAN);
		if (!b)
			break;
		b->next = head;
		head = b;
	}
	printf("survived\n");
	return 0;
}
