/*
 * platform.h - what the runtime needs from the machine: the platform
 * contract between rt/ and whatever runs it.
 *
 * Two implementations: the bare-metal kernel (kernel/glue/rt_platform.c: an M is
 * a CPU, parking halts it, waking is an IPI, stacks are guarded vm regions,
 * the tick preempts; kernel/glue/rt_ledger.c: the ledger read on each CPU;
 * kernel/glue/rt_net.c: network devices are virtio-net) and the hosted
 * build (rt/hosted/rt_platform_hosted.c, its network an in-memory link in
 * rt/hosted/rt_net_hosted.c, its ledger in rt/hosted/rt_ledger_hosted.c:
 * an M is a pthread, parking waits on a futex-like condition, stacks are
 * mmap'd with a guard page) that lets rt/ run under cmocka, sanitizers and
 * valgrind.  rt/ includes no hardware header and no ISA #ifdef: this file,
 * rt_ctx.h (context switch) and the C library are all it sees.
 *
 * The other direction, what rt/ offers a platform (the preemption check
 * and body, the running goroutine's stack), is rt/rt_port.h; a platform
 * includes that, never rt/rt_impl.h.
 *
 * Every function has a one-line contract; "any M" means callable from any
 * M's thread context, with or without the runtime's locks held.
 */
#ifndef TALLY_RT_PLATFORM_H
#define TALLY_RT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Number of Ms the platform can run at once (CPUs / configured threads). */
unsigned plat_max_ms(void);
/* Start M number id (1 <= id < plat_max_ms()) running fn(id) forever in
 * thread context; fn never returns.  Called once per M by the runtime. */
void plat_start_m(unsigned id, void (*fn)(unsigned id));
/* Index of the M running the caller (0 for the one that called rt_init):
 * unsigned plat_m_id(void), defined by the platform's plat_inline.h
 * (found on the include path: kernel/glue/include/ on bare metal, one
 * instruction; rt/hosted/include/ hosted, a thread-local).  It must not
 * be preemptible between its read and its return: inline, or in section
 * rt_nopreempt (rt/rt_port.h), since the allocator's fast path calls it
 * unpinned. */
#include "plat_inline.h"
/* Park the calling M until plat_m_wake(it) or until the monotonic time
 * `deadline` (ns, 0: none) passes; may return spuriously. A wake that
 * arrives before the park makes the next park return at once. */
void plat_m_park(uint64_t deadline_ns);
/* Wake M id (no-op if it is not parked; remembered if it is about to). */
void plat_m_wake(unsigned id);
/* Monotonic nanoseconds. */
uint64_t plat_nanotime(void);
/* The usable size the platform gives a stack requested with `requested`
 * bytes (bare metal: every stack is a growable stackmax= slot). */
size_t plat_stack_size(size_t requested);
/* Allocate a goroutine stack of size (= plat_stack_size(...)) bytes with an
 * unmapped guard below; returns its lowest usable address, 0 on failure. */
uintptr_t plat_stack_alloc(size_t size);
void plat_stack_free(uintptr_t base, size_t size);
/* Give back the pages of the stack at base mapped below sp less a slack
 * (bare metal: 16 KiB, keeping the initial backing); a later access maps
 * them again as growth does.  The stack's goroutine must not run
 * meanwhile.  Returns the pages released.  Any M, thread context; hosted:
 * nothing (0). */
uint64_t plat_stack_shrink(uintptr_t base, uintptr_t sp);
/* Ask to be called back with rt_preempt_check() periodically on every M
 * (the tick), from the interrupt path on bare metal (with the interrupted
 * context) or from a timer signal when hosted.  May be a no-op when the
 * platform cannot preempt (then only cooperative switches happen). */
void plat_preempt_init(uint64_t quantum_ns);
/* A fatal error is about to be reported by this M.  Returns 1 to the
 * first caller, after stopping every other M (bare metal: the other CPUs
 * are halted) so that the report prints whole; a caller on another M
 * after that never returns (the first report wins, the others stop
 * quietly); a second call on the same M returns 0 (a fatal error while
 * reporting one: cut the report short). */
int plat_fatal_begin(void);
/* Print to the console (runtime fatal messages), no allocation. */
void plat_write(const char *s, size_t n);
/* Print a backtrace starting at the caller's frame, or of a parked G
 * given its saved frame pointer and pc (fp 0: the caller's). */
void plat_backtrace(uintptr_t pc, uintptr_t fp);
/* End the program with status: runs atexit handlers and flushes stdio
 * (bare metal: newlib's exit, then the kernel's exit path). */
_Noreturn void plat_exit(int status);
/* End the program after a fatal report (after plat_fatal_begin): flush
 * stdio and leave with status, running no atexit handler (they could
 * wait for goroutines that no longer run, as Go's exit(2) after a panic
 * runs nothing either). */
_Noreturn void plat_fatal_exit(int status);
/* A spin-wait hint (x86: pause). */
void plat_relax(void);
/* Ledger classes: charge this M's time to the runtime class `cls` until
 * the next call (returns the class it replaces).  Hosted: bookkeeping
 * only.  Class ids come from plat_ledger_class(name). */
int plat_ledger_class(const char *name);
unsigned plat_ledger_switch(unsigned cls);
/* The scheduler's own switches, the ledger's hot path: from g0's class
 * (rt.sched) into user just before g0 switches to a G, returning 2 t + 1
 * for the time t it read on the plat_cycles clock (the G's run start,
 * returned under ledger=off too: the switch's own operand, so it costs
 * nothing more); and back to rt.sched when a G returned to g0 by itself
 * (a preempted G's way back is plat_ledger_switch(rt.sched)). */
uint64_t plat_ledger_enter_user(void);
void plat_ledger_leave_user(void);
/* M's thread, before its first plat_ledger_enter_user: where the runtime
 * counts its rounds (one enter and one leave each, never reset), which
 * the ledger reports as its transitions instead of counting them again. */
void plat_ledger_rounds(const uint64_t *count);
extern unsigned plat_class_user;  /* the "user" class id */
/* The ledger, read (rt/ledger_read.c: tally_ledger_read).  The class
 * table: names[i] = the name of class id i, for the first max ids;
 * returns how many it filled (the ids in use, at most max). */
unsigned plat_ledger_classes(const char **names, unsigned max);
/* M m's ledger as of now (m < the runtime's M count): cycles[c] for the
 * class ids c < max, *elapsed = cycles since it started (all 0 for an M
 * not started yet); 0, or -1 when m does not answer (stopped). */
int plat_ledger_read(unsigned m, uint64_t *cycles, unsigned max, uint64_t *elapsed);
/* Ledger cycles per second (0: unknown; hosted: 1e9, cycles are ns). */
uint64_t plat_cycles_hz(void);
/* The ledger's clock, in cycles (plat_cycles_hz); any context, the
 * preemption tick included. */
uint64_t plat_cycles(void);
/* The heap's arena (rt/heap/).  Reserve about *size bytes of address
 * space, aligned to at least 8 KiB, nothing backed yet; *size gets what
 * was reserved.  Returns the base, 0 when there is none.  Called once. */
uintptr_t plat_heap_reserve(size_t *size);
/* Back [addr, addr + len) (4 KiB-aligned, inside the arena) with zeroed
 * pages; pages already backed keep their contents.  0, or -1 when memory
 * runs out (what was backed so far stays backed).  Thread context; the
 * caller may hold runtime locks (the platform runs the page allocator on
 * a stack of its own if it must). */
int plat_heap_commit(uintptr_t addr, size_t len);
/* The static data the collector scans as roots (data and bss of the
 * program and runtime; a platform's own statics, which hold no collected
 * object's address, may be left out): fills lo[i], hi[i] for up to max
 * ranges, returns how many. */
unsigned plat_gc_data(uintptr_t *lo, uintptr_t *hi, unsigned max);
/* On the definition of a zero-initialised static that never holds a
 * pointer to a collected object (the allocator's caches and lists, the
 * collector's own state, lock tables): it goes to section .bss.noroots,
 * which a platform may leave out of plat_gc_data (bare metal does: the
 * collector neither scans it nor re-scans its pages when they are dirty,
 * and the collector writes some of them in its final pause; hosted does
 * too, through rt/hosted/noroots.ld).  A static that is a root only
 * (written, never read) must be volatile, or the compiler may drop it. */
#define PLAT_GC_NOROOT __attribute__((section(".bss.noroots")))
/* The collector's settings from the boot options (gogc=, gcmemlimit=,
 * gctrace=, gcconc=, gchelpers=, gcgen=); a platform without them leaves the
 * defaults it is given. */
void plat_gc_config(int *percent, int64_t *limit, int *trace, int *concurrent, int *helpers, int *generational);
/* 1 when the heap should check itself (poison freed objects, report a
 * write after free when one is reused): bare metal's heapcheck=1.  Asked
 * once, when the arena is made. */
int plat_heap_checks(void);
/* 1 when the collector should check its own marking at the end of every
 * cycle (rt/heap/gc_verify.c): bare metal's gcverify=1.  Asked once, at
 * the collector's start. */
int plat_gc_verify(void);
/* Give the pages of [addr, addr + len) back; an access faults until they
 * are committed again.  Same context as plat_heap_commit. */
void plat_heap_release(uintptr_t addr, size_t len);
/* Dirty-page tracking, the collector's write barrier (docs/heap.md).
 * Pages are PLAT_DIRTY_PAGE bytes.  Harvest: for the npages pages from
 * lo (page-aligned), bit i of out[] ((npages + 63) / 64 words, every bit
 * written; out may be NULL: clear only) is set when page i was written through its mapping since its
 * last harvest (or since it was mapped; unmapped pages report 0) and the
 * record is cleared; returns
 * how many were set, or -1 for a misaligned range.  Bare metal: the
 * page tables' dirty bits; hosted: every page is reported (imprecise).
 * A harvest alone does not re-arm the record on other CPUs: writes
 * through a translation they cached may go unrecorded until
 * plat_dirty_sync returns.  Any M, any stack, world running or stopped. */
#define PLAT_DIRTY_PAGE 4096u
long plat_dirty_harvest(uintptr_t lo, size_t npages, uint64_t *out);
/* A harvest by rounds (the collector's pre-cleaning rounds and final
 * pause): lo is PLAT_DIRTY_ROUND-aligned, npages a multiple of
 * PLAT_DIRTY_ROUND / PLAT_DIRTY_PAGE (else -1); each unit of
 * PLAT_DIRTY_ROUND bytes at most once a pass.  A round is a pass of mode
 * PLAT_ROUND_NEXT (PLAT_ROUND_FIRST for the cycle's first round, which
 * reads everything), plat_dirty_sync, and a pass of mode PLAT_ROUND_AGAIN
 * over the same ranges, which adds to out (it does not clear it) what was
 * written through translations the sync dropped.  A NEXT pass reports
 * every page written since the last round's AGAIN pass and every page
 * written before it that the last round did not report; it may skip
 * units nothing touched since the last round (bare metal: page tables
 * whose directory entry's accessed bit stayed clear).  *units (may be
 * NULL) gets the units read.  Hosted: NEXT and FIRST report every page,
 * as plat_dirty_harvest; AGAIN nothing. */
#define PLAT_DIRTY_ROUND (2u << 20)
enum { PLAT_ROUND_NEXT = 0, PLAT_ROUND_FIRST = 1, PLAT_ROUND_AGAIN = 2 };
long plat_dirty_round(uintptr_t lo, size_t npages, uint64_t *out, int mode, size_t *units);
/* Re-arm after harvests: every CPU drops its cached translations, so
 * every write after the return is recorded (bare metal: one TLB shootdown
 * round, charged on the other CPUs to kern.irq.ipi with cause gc).  Any M,
 * no runtime lock held that a CPU answering the IPI could need. */
void plat_dirty_sync(void);
/* 1 when harvests report only written pages, 0 when they report every
 * page (then a final re-scan covers everything: correct, not short). */
int plat_dirty_precise(void);
/* ---- network devices (rt/netpoll.c, rt/net/stack.c) ----
 * A device moves Ethernet frames without the FCS (14..1514 bytes).  Bare
 * metal: virtio-net (kernel/glue/rt_net.c); hosted: an in-memory link a
 * test writes and reads (rt/hosted/rt_net_hosted.c).  Thread context on
 * an M (g0 or a goroutine), never an interrupt handler; no call blocks.
 * Device work is the platform's to charge (bare metal: kern.driver). */
struct plat_net_frame {
	uint8_t *data;             /* the frame, in the platform's buffer */
	uint32_t len;
	uint32_t cookie;           /* the platform's: which buffer to give back */
	uint8_t csum_ok;           /* 1: the device vouches for the frame's ICMP,
	                            * UDP or TCP checksum (it is not verified) */
};
/* Network devices present (the stack drives device 0). */
unsigned plat_net_count(void);
/* Device dev's Ethernet address. */
void plat_net_mac(unsigned dev, uint8_t mac[6]);
/* 1 if dev's link is up. */
int plat_net_link_up(unsigned dev);
/* Send one frame (copied): 0; -1 length outside 14..1514, -2 no transmit
 * buffer free, -3 device dead. */
int plat_net_send(unsigned dev, const void *frame, size_t len);
/* 1 with *f filled when a received frame waits (held until recv_done),
 * else 0. */
int plat_net_recv(unsigned dev, struct plat_net_frame *f);
void plat_net_recv_done(unsigned dev, const struct plat_net_frame *f);
/* Nonzero when plat_net_recv would likely return a frame (lock-free hint). */
unsigned plat_net_rx_pending(unsigned dev);
/* Receive interrupt on (1) or off (0).  While on, a frame's arrival calls
 * rt_netpoll_irq() (rt/rt_port.h) from the interrupt handler (hosted: from
 * the thread that put the frame on the link), but a device may interrupt
 * only once per arming (virtio's EVENT_IDX): a frame that comes while
 * others wait unread, or after frames were read since it was last turned
 * on, need not interrupt.  Turning it on again while on is allowed and
 * re-arms it: after it returns, a frame not yet seen by
 * plat_net_rx_pending either is seen there or interrupts.  A frame that
 * came while it was off need not interrupt when it is turned on. */
void plat_net_rx_irq(unsigned dev, int on);
/* Device dev's queue pair q (one per CPU with multiqueue): frames
 * received on it and sent on it, and 1; 0 when dev has no pair q (a
 * device without pairs reports none). */
int plat_net_queue_stats(unsigned dev, unsigned q, uint64_t *rx_frames, uint64_t *tx_frames);
/* The boot options of the network: netpoll= (RT_NETPOLL_*: 0 hybrid,
 * 1 poll, 2 irq) and ip= (*ip 0: none given, use DHCP); addresses in host
 * order.  A platform without options leaves the values it is given. */
void plat_net_config(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw);
/* The boot option netloss=: drop *ppm frames in a million on receive and
 * on send (0: none), chosen by a generator seeded with *seed. */
void plat_net_loss(uint32_t *ppm, uint32_t *seed);
/* The boot option tcp_fin_timeout=: how long a TCP connection its user
 * closed may wait in FIN_WAIT_2 for the peer's FIN, in microseconds (0:
 * the TCP module's default, TCP_FIN_TIMEOUT_DEFAULT). */
uint32_t plat_net_tcp_fin_timeout(void);

/* Disable / restore this M's preemption-relevant interrupts around the
 * few instructions of a context switch. */
unsigned long plat_irq_save(void);
void plat_irq_restore(unsigned long f);

#endif
