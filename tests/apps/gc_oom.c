/*
 * gc_oom.c - keep every collected object reachable until memory runs out:
 * the collector collects, finds nothing to free, and the program ends with
 * the out-of-memory report (status 71) naming the live heap and the goal.
 * "survived" would mean it went on.
 */
#include <stdio.h>
#include <tally.h>

struct blob {
	struct blob *next;
	char data[4088];
};

int main(void)
{
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
