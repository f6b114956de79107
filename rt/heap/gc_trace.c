/*
 * gc_trace.c - gctrace: one line per collection (gctrace=1), in the
 * spirit of Go's, and with gctrace=2 a second with the pauses' parts in
 * ns, the heap in bytes and marking's CPU, read by tools/gcalloc.py,
 * gcmeasure.py and gcpause.py.  Every field is explained, with an example
 * line, in docs/heap.md ("gctrace").  Split from gc.c, which fills the
 * cycle's record (struct gc_cycle, gc_impl.h) and calls gc_trace after
 * each cycle, on the collecting goroutine with the world running and no
 * collector lock held; it only formats and writes (plat_write).
 */
#include <stdio.h>
#include <string.h>
#include "rt/heap/gc_impl.h"
#include "rt/include/tally.h"

void gc_trace(const struct gc_cycle *c, const struct tally_gc_stats *st, uint64_t since, uint64_t cpu_ns,
              uint64_t assist_ns, uint64_t gc_live, uint64_t gc_goal)
{
	char line[560];
	uint64_t ncpu = (uint64_t)tally_ncpu();
	unsigned pct = since ? (unsigned)(cpu_ns * 100 / (since * ncpu)) : 0;
	unsigned markpct = c->conc ? (unsigned)((c->mark_cpu + assist_ns) * 100 / (c->conc * ncpu)) : 0;
#define MS(x) (unsigned long long)((x) / 1000000), (unsigned long long)((x) / 1000 % 1000)
	int n = snprintf(line, sizeof(line),
	                 "gc %llu @%llu.%03llus %u%%: %llu.%03llu ms stw (start %llu.%03llu: stop %llu.%03llu "
	                 "stacks %llu.%03llu; final %llu.%03llu: stop %llu.%03llu walk %llu.%03llu rescan "
	                 "%llu.%03llu drain %llu.%03llu), %llu.%03llu ms concurrent (clear %llu.%03llu+%llu.%03llu "
	                 "sync, mark %u%% of %llu P, %u rounds), sweep %llu.%03llu ms, %llu->%llu->%llu MB, "
	                 "%llu MB goal, %llu P, %llu+%llu dirty pages, %llu freed\n",
	                 (unsigned long long)st->cycles, (unsigned long long)(since / 1000000000),
	                 (unsigned long long)(since / 1000000 % 1000), pct, MS(c->stw1 + c->stw2), MS(c->stw1),
	                 MS(c->stop1), MS(c->stacks1), MS(c->stw2), MS(c->stop2), MS(c->walk2), MS(c->rescan2),
	                 MS(c->drain2), MS(c->conc), MS(c->walk1), MS(c->sync1), markpct,
	                 (unsigned long long)ncpu, c->precleans, MS(c->sweep),
	                 (unsigned long long)(c->before >> 20),
	                 (unsigned long long)(c->end >> 20),
	                 (unsigned long long)(gc_live >> 20), (unsigned long long)(gc_goal >> 20),
	                 (unsigned long long)ncpu, (unsigned long long)(gc_ms.dirty_pages - gc_ms.dirty_final),
	                 (unsigned long long)gc_ms.dirty_final, (unsigned long long)st->objects_freed);
	if (c->gen && n > 0 && (size_t)n < sizeof(line)) {
		/* generational mode: the cycle's kind, before the newline */
		n--;
		int k = c->minor ? snprintf(line + n, sizeof(line) - (size_t)n, ", minor: %llu remembered pages\n",
		                            (unsigned long long)gc_ms.remembered_pages)
		                 : snprintf(line + n, sizeof(line) - (size_t)n, ", full: marks cleared in %llu.%03llu ms\n",
		                            MS(c->unmark));
		n = k > 0 ? n + k : -1;
	}
#undef MS
	plat_write(line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
	if (rt_gctrace < 2)
		return;
	const struct tally_gc_pause *p = &st->pause_last;
	n = snprintf(line, sizeof(line),
	             "gc %llu pause ns: start %llu (stop %llu stacks %llu) final %llu (stop %llu walk %llu "
	             "rescan %llu stacks %llu roots %llu hooks %llu) %llu dirty pages %llu tables; "
	             "heap %llu->%llu->%llu goal %llu bytes; marking %llu+%llu of %llu ns x %llu P; "
	             "re-scans %llu ns\n",
	             (unsigned long long)st->cycles, (unsigned long long)p->start_ns,
	             (unsigned long long)p->start_stop_ns, (unsigned long long)p->start_stacks_ns,
	             (unsigned long long)p->final_ns, (unsigned long long)p->final_stop_ns,
	             (unsigned long long)p->final_walk_ns, (unsigned long long)p->final_rescan_ns,
	             (unsigned long long)p->final_stacks_ns, (unsigned long long)p->final_roots_ns,
	             (unsigned long long)p->final_hooks_ns, (unsigned long long)p->final_dirty_pages,
	             (unsigned long long)p->final_tables, (unsigned long long)c->before,
	             (unsigned long long)c->end, (unsigned long long)gc_live, (unsigned long long)gc_goal,
	             (unsigned long long)c->mark_cpu, (unsigned long long)assist_ns,
	             (unsigned long long)c->conc, (unsigned long long)ncpu,
	             (unsigned long long)gc_ms.rescan_ns);
	plat_write(line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
}
