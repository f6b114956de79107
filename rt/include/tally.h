/*
 * tally.h - the public API for applications running on Tally.
 *
 * An application is ordinary C: int main(int argc, char **argv) with
 * newlib's stdio, string and math.  argv comes from the boot command line
 * after "--"; main's return value (or exit()'s argument) becomes the
 * machine's exit status (QEMU: isa-debug-exit).  This header adds what a
 * hosted C library cannot say: facts about the machine and the boot.
 *
 * Below the machine facts: the Go-style runtime (goroutines, channels,
 * select, sync, timers, atomics) and the cost ledger's read API, under the
 * same tally_ prefix.
 */
#ifndef TALLY_H
#define TALLY_H

#include <stdint.h>

struct tally_sysinfo {
	const char *arch;          /* "x86_64" or "aarch64" */
	const char *boot_loader;   /* how the kernel was loaded, for display */
	const char *cpu_model;     /* CPUID brand string */
	unsigned cpus_online;      /* CPUs running Tally */
	uint64_t cycles_hz;        /* cycle-counter (TSC) frequency, 0 unknown */
	const char *cycles_source; /* how cycles_hz was determined */
	int cycles_invariant;      /* 1 if the TSC is invariant */
	uint64_t mem_usable;       /* bytes of RAM the firmware called usable */
	uint64_t mem_free;         /* bytes free in the page allocator now */
	const char *cmdline;       /* the whole boot command line */
	const char *console;       /* console device name */
	int acpi;                  /* 1 if an ACPI RSDP was found */
};

/* Fill *si; the strings stay valid for the program's life. */
void tally_sysinfo(struct tally_sysinfo *si);
/* Monotonic nanoseconds since the kernel started: since the boot CPU's
 * ledger started, so that CPU's ledger elapsed time is this time. */
uint64_t tally_nanotime(void);

/* ======================= goroutines (Go semantics) =====================
 * main() runs as the first goroutine; the program ends when main returns
 * (other goroutines are not waited for).  Misuse ends the program with
 * Go's message, the goroutine's backtrace and exit status 2. */

#include <stddef.h>

/* Start fn(arg) as a new goroutine; returns its id. */
uint64_t tally_go(void (*fn)(void *), void *arg);
/* Let other goroutines run (runtime.Gosched). */
void tally_yield(void);
/* End the calling goroutine (runtime.Goexit; main's Goexit ends nothing). */
_Noreturn void tally_goexit(void);
/* Id of the calling goroutine (main is 1). */
uint64_t tally_goid(void);
/* CPUs the runtime can use. */
int tally_ncpu(void);
/* Set the number of Ps (GOMAXPROCS) if n > 0; returns the previous value.
 * A P runs on one CPU's M, so n over tally_ncpu() sets tally_ncpu() (Go
 * allows more Ps than CPUs; here they would have no M to run on). */
int tally_gomaxprocs(int n);
/* Sleep at least ns nanoseconds (parks the goroutine; costs no CPU). */
void tally_sleep(uint64_t ns);
/* Index of the CPU (M) running the caller: for tests and diagnostics. */
int tally_cpu(void);

/* Goroutine stacks grow on demand (bare metal: a reserved stackmax= range
 * per goroutine, pages mapped by the page-fault handler).  Release the
 * unused part of the caller's stack below its stack pointer (less some
 * slack); returns the bytes released (0 hosted). */
uint64_t tally_stack_shrink(void);
struct tally_stack_stats {
	uint64_t growth_faults;   /* page faults that grew a stack */
	uint64_t pages_mapped;    /* pages ever mapped into stacks */
	uint64_t pages_released;  /* pages trimmed (exits) or shrunk away */
	uint64_t committed;       /* bytes backing stacks now */
	uint64_t peak;            /* most bytes backing stacks at once */
	uint64_t in_use;          /* stacks held by goroutines */
	uint64_t limit;           /* the per-goroutine limit (stackmax=) */
	uint64_t initial;         /* bytes mapped at spawn (stackinit=) */
};
void tally_stack_stats(struct tally_stack_stats *s);

/* ============================== channels ============================ */
struct tally_chan;
/* make(chan T, cap) with sizeof(T) == elemsize (0 allowed, less than 65536
 * as Go requires: "fatal error: makechan: invalid channel element type ...",
 * status 2; a buffer bigger than memory: out of memory, status 71).  A channel is
 * a collected object (see "the collected heap" below): there is no free;
 * the collector frees it once no variable, scanned object or blocked
 * goroutine names it.  Its buffer is scanned conservatively, so a pointer
 * sent through it keeps its target alive while it is buffered. */
struct tally_chan *tally_chan_make(size_t elemsize, size_t cap);
/* c <- *elem.  Blocks; sending on a closed channel panics; on NULL blocks
 * forever. */
void tally_chan_send(struct tally_chan *c, const void *elem);
/* *elem = <-c (elem may be NULL).  Returns 1 for a value sent, 0 when the
 * channel is closed and drained (then *elem is zeroed). */
int tally_chan_recv(struct tally_chan *c, void *elem);
/* Non-blocking forms: 1 if done, 0 if it would block.  For tryrecv, *ok
 * (may be NULL) says whether a value (1) or a close (0) was received. */
int tally_chan_trysend(struct tally_chan *c, const void *elem);
int tally_chan_tryrecv(struct tally_chan *c, void *elem, int *ok);
/* close(c): closing a closed or NULL channel panics. */
void tally_chan_close(struct tally_chan *c);
size_t tally_chan_len(struct tally_chan *c);
size_t tally_chan_cap(struct tally_chan *c);

/* select over n cases; has_default makes it non-blocking.  Returns the
 * index of the case that ran (chosen uniformly at random among ready
 * ones, as Go does) or -1 for the default.  A NULL channel's case is
 * never ready. */
enum { TALLY_SEND = 1, TALLY_RECV = 2 };
struct tally_select_case {
	int dir;                   /* TALLY_SEND or TALLY_RECV */
	struct tally_chan *c;
	void *elem;                /* value to send / where to receive (may be NULL) */
	int ok;                    /* out, receive: 1 value, 0 closed */
};
int tally_select(struct tally_select_case *cases, int n, int has_default);

/* ================================ sync ============================== */
/* All are zero-initialisable: `struct tally_mutex m = {0};` is unlocked. */
struct tally_mutex { volatile int32_t state; volatile uint32_t sema; };
void tally_mutex_lock(struct tally_mutex *m);
int tally_mutex_trylock(struct tally_mutex *m);
void tally_mutex_unlock(struct tally_mutex *m);  /* unlocked: fatal */

struct tally_rwmutex {
	struct tally_mutex w;
	volatile uint32_t writer_sem, reader_sem;
	volatile int32_t reader_count, reader_wait;
};
void tally_rwmutex_lock(struct tally_rwmutex *rw);
void tally_rwmutex_unlock(struct tally_rwmutex *rw);
void tally_rwmutex_rlock(struct tally_rwmutex *rw);
void tally_rwmutex_runlock(struct tally_rwmutex *rw);

struct tally_waitgroup { volatile uint64_t state; volatile uint32_t sema; };
void tally_waitgroup_add(struct tally_waitgroup *wg, int delta);  /* < 0 total: panic */
void tally_waitgroup_done(struct tally_waitgroup *wg);
void tally_waitgroup_wait(struct tally_waitgroup *wg);

struct tally_once { volatile uint32_t done; struct tally_mutex m; };
void tally_once_do(struct tally_once *o, void (*fn)(void *), void *arg);

struct tally_cond { struct tally_mutex *l; volatile uint32_t wait, notify; void *waiters; };
void tally_cond_wait(struct tally_cond *c);      /* c->l held */
void tally_cond_signal(struct tally_cond *c);
void tally_cond_broadcast(struct tally_cond *c);

/* Counting semaphore (golang.org/x/sync/semaphore-like, weight 1). */
struct tally_sema { volatile int64_t count; void *waiters; volatile int lock; };
void tally_sema_init(struct tally_sema *s, int64_t n);
void tally_sema_acquire(struct tally_sema *s);
int tally_sema_tryacquire(struct tally_sema *s);
void tally_sema_release(struct tally_sema *s);

/* =============================== timers ============================= */
/* time.Timer / time.Ticker: the time (nanotime, uint64_t) is delivered on
 * C, a channel of capacity 1. */
struct tally_timer;
struct tally_timer *tally_timer_new(uint64_t ns);       /* fires once */
struct tally_timer *tally_ticker_new(uint64_t period);  /* fires every period */
struct tally_chan *tally_timer_chan(struct tally_timer *t);
int tally_timer_stop(struct tally_timer *t);             /* 1 if it was pending */
int tally_timer_reset(struct tally_timer *t, uint64_t ns);
/* Timers and their channels are collected objects: a timer nothing names
 * any more (neither it nor its channel, nor a goroutine blocked on the
 * channel) is taken off the timer heap and freed by the collector, even
 * if it is still pending or a ticker (Go 1.23's rule).  tally_timer_free
 * is optional: it stops t and checks that no goroutine waits on its
 * channel (one blocked on it is a fatal error: "tally_timer_free:
 * goroutines are blocked on the timer's channel", status 2); the memory
 * is the collector's to free. */
void tally_timer_free(struct tally_timer *t);

/* ============================ the cost ledger ========================
 * Every cycle of every CPU is charged to exactly one class: "idle",
 * "user" (the program's own code), "kern.*" (interrupts, faults, the
 * kernel's services) or "rt.*" (the runtime: scheduler, timers); the
 * names are stable, the list grows as Tally does.  tally_ledger_read
 * gives one CPU's ledger as of the call (cpu 0 .. tally_ncpu() - 1) or
 * the sum over every CPU (TALLY_LEDGER_ALL); the difference of two reads
 * (tally_ledger_sub) is what the code between them cost, class by class.
 * Bare metal: cycles are the cycle counter's (TSC), each CPU's ledger is
 * read on that CPU (another CPU by an IPI, charged there to kern.irq.ipi).
 * Hosted (Linux threads): cycles are nanoseconds of CLOCK_MONOTONIC, one
 * ledger per M (thread).  A goroutine may move between CPUs between two
 * reads: to measure a stretch of a program, read TALLY_LEDGER_ALL. */
#define TALLY_LEDGER_MAX_CLASSES 32
#define TALLY_LEDGER_ALL (-1)   /* cpu argument: the sum over every CPU */
/* Errors (negative) of the tally_ledger_* functions. */
#define TALLY_ENULL (-1)        /* a NULL pointer argument */
#define TALLY_ECPU (-2)         /* no such CPU, or it did not answer */
#define TALLY_EMISMATCH (-3)    /* sub: b is not an earlier read of a's CPU(s) */

struct tally_ledger {
	int cpu;                    /* the CPU read, or TALLY_LEDGER_ALL */
	unsigned ncpu;              /* ledgers summed: 1, or every CPU */
	uint64_t cycles_hz;         /* cycle-counter frequency (0: unknown) */
	uint64_t elapsed;           /* cycles since the ledger started, summed
	                             * over the ncpu CPUs */
	int64_t residue;            /* elapsed - sum of the classes' cycles
	                             * (the ledger's own check: 0 when exact) */
	unsigned nclasses;          /* entries of classes[] in use */
	struct tally_ledger_class {
		const char *name;       /* "idle", "user", "kern.irq.timer", ... */
		uint64_t cycles;
	} classes[TALLY_LEDGER_MAX_CLASSES];
};

/* Fill *out with CPU cpu's ledger (or TALLY_LEDGER_ALL's sum) as of now.
 * Returns 0, TALLY_ENULL (out NULL) or TALLY_ECPU (cpu neither
 * TALLY_LEDGER_ALL nor in 0 .. tally_ncpu() - 1, or a CPU did not answer:
 * stopped after a fatal error).  Context: a goroutine. */
int tally_ledger_read(struct tally_ledger *out, int cpu);
/* *d = *a - *b, class by class (d may be a or b): the cost between two
 * reads, b the earlier.  Returns 0, TALLY_ENULL, or TALLY_EMISMATCH when b
 * is not an earlier read of the same CPU(s) (another cpu, fewer CPUs or
 * classes in a, or a class or elapsed that went down). */
int tally_ledger_sub(struct tally_ledger *d, const struct tally_ledger *a,
                     const struct tally_ledger *b);
/* Cycles of the classes in group: the class named group and those named
 * group.* ("kern" sums kern.irq.timer, kern.fault, ...); 0 for NULL. */
uint64_t tally_ledger_cycles(const struct tally_ledger *l, const char *group);

/* ========================= the collected heap ======================== *
 * tally_gc_alloc returns zeroed memory that the collector frees once no
 * pointer to it remains.  The collector is conservative and non-moving:
 * any word that holds an address inside an object (its first byte or any
 * byte after, up to its end: interior pointers count) keeps it alive.
 * Roots: data and bss, every goroutine's stack and saved registers, and
 * every block malloc returned and has not been freed (a pointer kept in
 * malloc'd memory keeps a collected object alive, as Boehm's
 * uncollectable objects do).  TALLY_GC_SCAN objects are scanned for
 * pointers; TALLY_GC_NOSCAN ones (strings, numbers) never are, so a
 * pointer stored in one does not keep anything alive; typed objects
 * (tally_gc_alloc_typed) are scanned only in the words their bitmap
 * names.  Channels and timers are collected objects too.  Never free() a
 * collected object: that ends the program with a report.
 * The rule for malloc'd memory: every allocated block is a root, scanned
 * conservatively at every collection (its size costs marking time, and a
 * word that happens to look like an address keeps that object alive).
 * A block that holds no pointer to a collected object (a buffer, a
 * string, an array of numbers) can opt out: tally_malloc_noscan below.
 * malloc, calloc, realloc, posix_memalign and tally_malloc_noscan that
 * find memory full collect once (on a goroutine: the collected heap's
 * garbage may hold the pages, even with gogc=off) before they return
 * NULL with ENOMEM.
 * Marking is concurrent by default (boot option gcconc=1; gcconc=0:
 * marking with every goroutine stopped): goroutines run while the
 * collector marks, the page tables' dirty bits recording their stores,
 * and two short pauses stop every goroutine (at the next preemption
 * point, so it needs the tick, tick= not 0), charged to the ledger class
 * rt.gc.stw; marking is rt.gc.mark, an allocator's help rt.gc.assist. */
enum { TALLY_GC_SCAN = 0, TALLY_GC_NOSCAN = 1 };
/* n zeroed bytes of the given kind; NULL (errno EINVAL) for a kind that
 * is neither.  When memory runs out it collects and tries again; if that
 * fails too the program ends with an out-of-memory report naming the
 * live heap, the goal and the limit (status 71). */
void *tally_gc_alloc(size_t n, int kind);
/* malloc(n) for a block the collector never scans: no root, so a pointer
 * to a collected object stored in it does not keep that object alive
 * (Boehm's GC_MALLOC_ATOMIC_UNCOLLECTABLE).  Not zeroed; freed with
 * free(); realloc() keeps it pointer-free; NULL with ENOMEM when memory
 * runs out, as malloc. */
void *tally_malloc_noscan(size_t n);
/* Typed objects: n zeroed bytes scanned precisely.  Word i of the object
 * (bytes 8i .. 8i+7) may hold a pointer iff bit (i % nbits) of bitmap is
 * set (bit j: bitmap[j / 64] >> (j % 64) & 1); the pattern repeats over
 * the object, so an array of structs passes one struct's bitmap.  A word
 * whose bit is clear never keeps anything alive, whatever it holds; a
 * pointer word counts like a conservative one (interior pointers too).
 * Example: struct node { struct node *next; uintptr_t key; void *val; }
 * has bitmap {0x5} (words 0 and 2), nbits 3.  The bitmap is copied into
 * the object's slot (one hidden word up to 58 bits, else 8 + 8 *
 * ceil(nbits / 64) bytes), so it may be a temporary.  NULL with errno
 * EINVAL for a NULL bitmap or nbits 0 or over TALLY_GC_TYPED_MAXBITS;
 * running out of memory is tally_gc_alloc's. */
#define TALLY_GC_TYPED_MAXBITS 65536
void *tally_gc_alloc_typed(size_t n, const uint64_t *bitmap, size_t nbits);
/* Collect now (a full cycle, also with gcgen=1, whose background cycles
 * may be minor ones); returns when the heap has been swept.  While another
 * collection runs (a background cycle the pacer started), this and the
 * setters and tally_gc_read_stats below park the calling goroutine until
 * it ends (waiting reason "GC busy wait"): they do not spin. */
void tally_gc(void);
/* GOGC: the heap's goal is percent% over what the last collection found
 * reachable by marking (default 100, boot option gogc=): objects
 * allocated while it marked are kept to the next collection but not
 * counted, so at 100 the heap stays about twice the live heap; the goal
 * is at least 4 MiB.  < 0 turns automatic collection off, except as a
 * memory limit asks (below).  Returns the previous value. */
int tally_gc_percent(int percent);
/* A soft limit on the heap in bytes (boot option gcmemlimit=): the goal
 * is at most 7/8 of it, so collections come earlier as the heap nears
 * it; with GOGC < 0 they come only then (Go's GOGC=off with a
 * GOMEMLIMIT).  Soft: a live heap over it is not an error; the goal is
 * then 1 MiB over the live heap.  < 0 leaves it; 0 means none.  Returns
 * the previous value. */
int64_t tally_gc_memory_limit(int64_t bytes);
struct tally_gc_stats {
	uint64_t cycles;          /* collections so far */
	uint64_t heap_live;       /* bytes in collected objects after the last one */
	uint64_t heap_alloc;      /* bytes in collected objects now (live + new) */
	uint64_t heap_goal;       /* heap_alloc that starts the next collection
	                           * (UINT64_MAX: none, GOGC < 0 and no limit) */
	uint64_t total_alloc;     /* bytes ever allocated by tally_gc_alloc */
	uint64_t objects_freed;   /* objects the collector freed, in all */
	uint64_t pause_last_ns;   /* the last stop-the-world pause */
	uint64_t pause_max_ns;
	uint64_t pause_total_ns;
	uint64_t roots_bytes;     /* bytes of roots the last collection scanned */
	uint64_t marked_bytes;    /* bytes of objects it scanned */
	uint64_t cleanups_queued; /* cleanups whose object died, in all */
	uint64_t cleanups_run;    /* cleanups that have returned, in all */
	uint64_t weak_cleared;    /* weak handles cleared, in all */
	/* bytes of parked goroutines' stacks below their sp that the collector
	 * gave back to the kernel, in all (concurrent marking, bare metal) */
	uint64_t stack_bytes_trimmed;
	/* of cycles, the minor ones (boot option gcgen=1: old objects neither
	 * traced nor freed, docs/heap.md "Minor cycles") */
	uint64_t minor_cycles;
	/* The pauses of the last cycle, and of the cycle whose pauses added
	 * up to the most (pause_ns's largest), split into their parts. */
	struct tally_gc_pause {
		uint64_t start_ns;        /* the start pause (gcconc=1; 0 with gcconc=0) */
		uint64_t start_stop_ns;   /*   of it: stopping the world (every other CPU acknowledged) */
		uint64_t start_stacks_ns; /*   scanning the goroutines' stacks */
		uint64_t final_ns;        /* the final pause (gcconc=0: the whole collection) */
		uint64_t final_stop_ns;   /*   of it: stopping the world */
		uint64_t final_walk_ns;   /*   reading and clearing the dirty bits of heap and data */
		uint64_t final_rescan_ns; /*   re-scanning the heap and data pages found dirty */
		uint64_t final_stacks_ns; /*   goroutine stacks: their dirty bits and dirty pages */
		uint64_t final_roots_ns;  /*   the collector's own stack and registers, what is left
		                           *   grey (gcconc=0: every root and the whole mark) */
		uint64_t final_hooks_ns;  /*   cleanups, weak handles, timers, the sweep generation,
		                           *   the goal, restarting the world */
		uint64_t final_dirty_pages; /* pages the final pause found dirty (heap, data, stacks) */
		uint64_t final_tables;    /* page tables (2 MiB of address each) the final walk read */
	} pause_last, pause_worst;
	/* Neither pause makes a TLB shootdown: the dirty record's syncs are
	 * concurrent (docs/heap.md).  Under -icount shift=0 one ns is one guest
	 * instruction. */
	/* Each cycle's stop-the-world time (its pauses added), as Go's
	 * MemStats.PauseNs: cycle c (counting from 0) is in pause_ns[c % 256],
	 * so the last min(cycles, 256) cycles are there. */
	uint64_t pause_ns[256];
};
/* Fill *s; s NULL ends the program (panic: tally_gc_read_stats: s is
 * NULL, status 2). */
void tally_gc_read_stats(struct tally_gc_stats *s);

/* ============================== the network ==========================
 * One Ethernet interface (the first network device) with an IPv4 address
 * from DHCP or the boot option ip=, ARP, ICMP echo (the stack answers
 * pings) and UDP sockets whose blocking calls park the goroutine, not the
 * CPU.  The stack starts at the first call below that needs it.  Addresses
 * and ports are in host order: tally_ip4(10, 0, 2, 2).
 * Errors are negative codes; tally_strerror names them.  Context: a
 * goroutine. */
#define TALLY_ENONET     (-10)  /* no network device */
#define TALLY_EADDRINUSE (-11)  /* the port is taken */
#define TALLY_ETIMEDOUT  (-12)  /* the deadline passed */
#define TALLY_EMSGSIZE   (-13)  /* a datagram larger than one frame holds (1472 bytes) */
#define TALLY_ENOBUFS    (-14)  /* the device's transmit ring is full, or a queue */
#define TALLY_ECLOSED    (-15)  /* the socket was closed */
#define TALLY_EINVAL     (-16)  /* a bad argument (NULL, port 0 as a destination, ...) */
#define TALLY_ENOADDR    (-17)  /* the interface has no address yet (DHCP not done) */
#define TALLY_ENOMEM     (-18)  /* no memory for the socket */
#define TALLY_EBUSY      (-19)  /* another goroutine is already receiving on it */
#define TALLY_EDEVICE    (-20)  /* the device failed */
#define TALLY_ECONNREFUSED  (-21)  /* TCP: the peer refused the connection (RST to the SYN) */
#define TALLY_ECONNRESET    (-22)  /* TCP: the peer reset the connection */
#define TALLY_ECONNTIMEDOUT (-23)  /* TCP: the peer stopped answering (retransmissions exhausted) */
#define TALLY_ECONNABORTED  (-24)  /* TCP: aborted here (closed with unread data, listener closed) */
#define TALLY_ESHUTDOWN     (-25)  /* TCP: write after shutdown */
/* A short description of any tally_ error code ("unknown error" else). */
const char *tally_strerror(int err);
static inline uint32_t tally_ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}
/* Start the stack if needed and wait until the interface has an address
 * (at most timeout_ns; 0: do not wait).  0, TALLY_ENONET, TALLY_ETIMEDOUT. */
int tally_net_up(uint64_t timeout_ns);
struct tally_net_info {
	uint8_t mac[6];
	int link_up;
	uint32_t ip, mask, gw;      /* 0 while there is no address */
	int dhcp;                   /* 1: from DHCP, 0: from ip= */
	uint32_t dhcp_server;       /* DHCP: the server and the lease (s) */
	uint32_t lease;
	const char *dhcp_state;     /* "selecting", "bound", ... (NULL: static) */
	const char *netpoll;        /* "hybrid", "poll" or "irq" */
};
/* 0, TALLY_ENONET, or TALLY_EINVAL for ni NULL. */
int tally_net_info(struct tally_net_info *ni);
/* Every counter of the stack and its poller by a stable name: frames in
 * and out, each drop reason ("drop.bad_csum", "drop.no_socket", ...),
 * ARP, ICMP, UDP, TCP ("tcp.retransmits", "tcp.conns", ...) and poller
 * events. */
#define TALLY_NET_MAX_STATS 96
struct tally_net_stats {
	unsigned n;
	struct tally_net_stat { const char *name; uint64_t value; } c[TALLY_NET_MAX_STATS];
};
int tally_net_stats(struct tally_net_stats *st);
/* The value of the counter named name in *st (0 when absent). */
uint64_t tally_net_stat(const struct tally_net_stats *st, const char *name);
/* Hand one frame to the stack's receive path as if the device had
 * received it (for tests: malformed frames are counted and dropped). */
int tally_net_inject(const void *frame, size_t len);
/* ICMP echo to ip with len bytes of data (0..1472), sequence seq; waits
 * for the reply at most timeout_ns.  0 with *rtt_ns (may be NULL),
 * TALLY_ETIMEDOUT, or another error. */
int tally_ping(uint32_t ip, uint16_t seq, size_t len, uint64_t timeout_ns, uint64_t *rtt_ns);

/* UDP sockets.  open binds a local port (0: an ephemeral one, 49152..);
 * sendto never blocks (TALLY_ENOBUFS when the device cannot take the
 * frame; a frame waiting for ARP is queued); recvfrom parks until a
 * datagram, the deadline or a close, and returns its length (the part
 * that fits in cap; the rest is discarded).  Up to 32 datagrams wait per
 * socket; more are dropped and counted (drop.sock_full). */
struct tally_udp;
int tally_udp_open(struct tally_udp **s, uint16_t port);
/* The local port. */
int tally_udp_port(const struct tally_udp *s);
int tally_udp_sendto(struct tally_udp *s, uint32_t ip, uint16_t port, const void *buf, size_t n);
int tally_udp_recvfrom(struct tally_udp *s, void *buf, size_t cap, uint32_t *ip, uint16_t *port);
/* Go's SetReadDeadline: recvfrom fails with TALLY_ETIMEDOUT once
 * tally_nanotime() passes deadline (absolute ns; 0: none), including one
 * already parked.  0 or TALLY_EINVAL. */
int tally_udp_set_deadline(struct tally_udp *s, uint64_t deadline);
/* Close: a goroutine parked in recvfrom returns TALLY_ECLOSED; the memory
 * is freed once it has.  0 or TALLY_EINVAL. */
int tally_udp_close(struct tally_udp *s);
/* Readiness for tally_select: a channel (capacity 1, 1-byte elements)
 * that receives a token when a datagram arrives or the socket is closed,
 * and at once if one is waiting already.  Select on it together with
 * channels and timers, then read without waiting (a deadline in the
 * past: tally_udp_set_deadline(s, 1)) until TALLY_ETIMEDOUT.  The same
 * channel on every call; it stays valid after close (a collected object,
 * alive while referenced; never close it yourself).  NULL for a NULL
 * socket. */
struct tally_chan *tally_udp_ready(struct tally_udp *s);

/* TCP sockets (RFC 9293: window scaling, retransmission with an RTO
 * estimator, fast retransmit, Nagle on by default, SYN cookies when the
 * listener's queues are full; docs/net.md "TCP on the machine").  Every
 * blocking call parks the goroutine; the poller readies it.  One reader
 * and one writer may use a connection at once (another gets TALLY_EBUSY),
 * one accepter a listener.  Each connection has 64 KiB of receive and of
 * send buffer.
 *
 * listen: a listener on port (any local address) with a backlog of
 * established, unaccepted connections (1..1024) and as many half-open
 * ones; the memory for them (at most 64 connections ready at a time;
 * past that, SYN cookies) is allocated by listen and accept, never by
 * the poller.  accept parks until a connection is established. */
struct tally_tcp;
int tally_tcp_listen(struct tally_tcp **l, uint16_t port, int backlog);
int tally_tcp_accept(struct tally_tcp *l, struct tally_tcp **c);
/* Active open from an ephemeral port; parks until established, refused,
 * timed out (the SYN retried 6 times: about 2 minutes) or deadline
 * (absolute ns, 0: none) passes.  0, TALLY_ECONNREFUSED,
 * TALLY_ECONNTIMEDOUT, TALLY_ETIMEDOUT, TALLY_ENOADDR, ... */
int tally_tcp_connect(struct tally_tcp **c, uint32_t ip, uint16_t port, uint64_t deadline);
/* read: up to n bytes, parking until some are there: the count, 0 at
 * the end of the stream (the peer's FIN), or an error (TALLY_ECONNRESET,
 * TALLY_ETIMEDOUT past the read deadline, ...).  write: queues all n
 * bytes, parking while the send buffer is full: n, or an error (bytes
 * queued before it stay queued). */
long tally_tcp_read(struct tally_tcp *c, void *buf, size_t n);
long tally_tcp_write(struct tally_tcp *c, const void *buf, size_t n);
/* No more writes: a FIN follows the queued bytes; reads go on. */
int tally_tcp_shutdown(struct tally_tcp *c);
/* Close (a connection: FIN after the queued bytes, or RST if received
 * bytes were never read; a listener: its unaccepted connections reset).
 * A goroutine parked on it returns TALLY_ECLOSED; the memory is freed
 * once the connection has ended and nobody is inside a call on it.  The
 * socket must not be used after. */
int tally_tcp_close(struct tally_tcp *s);
/* Nagle off (on: 1) or back on (0). */
int tally_tcp_set_nodelay(struct tally_tcp *c, int on);
/* Go's SetReadDeadline and SetWriteDeadline in one call (absolute ns,
 * 0: none): reads (accept on a listener) and writes past theirs fail with
 * TALLY_ETIMEDOUT, parked ones included. */
int tally_tcp_set_deadlines(struct tally_tcp *s, uint64_t read_dl, uint64_t write_dl);
/* The peer's address and port (host order). */
int tally_tcp_peer(const struct tally_tcp *c, uint32_t *ip, uint16_t *port);
/* The local port. */
int tally_tcp_port(const struct tally_tcp *s);
/* Readiness for tally_select, as tally_udp_ready: a token when data or
 * the end of stream can be read, send space is freed, a connection can
 * be accepted, or the socket closed. */
struct tally_chan *tally_tcp_ready(struct tally_tcp *s);

/* Cleanups (Go 1.24's runtime.AddCleanup).  Once the collected object
 * holding obj (obj may point inside it) is unreachable, the collector
 * frees it and, in the same cycle, queues fn(arg); queued cleanups run
 * one at a time, in the order the collector queued them, on one runtime
 * goroutine (it blocks the ones behind it if it blocks).  That order is
 * not the order they were added, even for cleanups of one object or of
 * objects that died in one cycle (as in Go, which promises none).  No resurrection: the object is gone before fn
 * runs, and the cleanup's record does not keep it alive.  arg does stay
 * alive until fn has run, so arg must not lead back to obj: arg pointing
 * into obj's own object is reported; a longer path leaks the object, as
 * in Go.  An object with several cleanups runs them all.  A cleanup runs
 * at most once, and not at all if the program ends first.  Returns the
 * cleanup's id (never 0).  Misuse ends the program (panic, status 2):
 * obj not in an allocated collected object ("panic: tally_gc_add_cleanup:
 * obj 0x... is malloc'd memory, not a collected object"; likewise "is
 * not in the heap", "is in no allocated object"; "obj is NULL"), fn NULL,
 * arg inside obj's object. */
uint64_t tally_gc_add_cleanup(void *obj, void (*fn)(void *), void *arg);
/* Cancel a cleanup (Cleanup.Stop): 1 if it was pending and now never
 * runs; 0 if its object already died (it is queued or ran), it was
 * stopped before, or id is unknown. */
int tally_gc_cleanup_stop(uint64_t id);

/* Weak references (Go 1.24's weak.Pointer).  tally_weak_make(p) returns
 * a handle that does not keep p's object alive; tally_weak_value gives p
 * back while the object is reachable and NULL from the collection that
 * finds it unreachable on (it never comes back).  Handles made from the
 * same pointer while its object lives are the same handle (compare them
 * with ==); handles from different pointers into one object differ but
 * die together.  A handle is itself a collected object: keep it where
 * the collector looks (a stack, a global, a scanned object).
 * tally_weak_make(NULL) is NULL, and tally_weak_value(NULL) is NULL; p
 * not in an allocated collected object ends the program as
 * tally_gc_add_cleanup's obj does ("panic: tally_weak_make: 0x... is
 * ..."). */
struct tally_weak;
struct tally_weak *tally_weak_make(void *p);
void *tally_weak_value(struct tally_weak *w);
/* runtime.KeepAlive: p is reachable at least until this call (a pointer
 * the compiler would otherwise drop from every register and stack slot
 * earlier, while a cleanup or weak handle still depends on it). */
void tally_gc_keep_alive(const void *p);

/* ============================== atomics ============================= */
static inline int64_t tally_atomic_add(volatile int64_t *p, int64_t d)
{
	return __atomic_add_fetch(p, d, __ATOMIC_SEQ_CST);
}
static inline int64_t tally_atomic_load(volatile int64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void tally_atomic_store(volatile int64_t *p, int64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline int tally_atomic_cas(volatile int64_t *p, int64_t old, int64_t new)
{
	return __atomic_compare_exchange_n(p, &old, new, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
static inline int64_t tally_atomic_swap(volatile int64_t *p, int64_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

#endif
