/*
 * rt_platform_hosted.c - the runtime's platform contract (rt/platform.h)
 * on Linux, so that rt/ runs under cmocka, ASan/UBSan and TSan.
 *
 * Purpose: an M is a pthread (M 0 is the thread that called rt_main);
 * parking waits on a per-M condition variable; stacks are mmap'd with an
 * unmapped guard below; time is CLOCK_MONOTONIC.  Goroutines are also
 * preempted asynchronously, by a per-M timer signal whose handler
 * redirects the interrupted goroutine into a register-saving stub (no
 * stack switch inside the handler): rt_preempt_hosted.c, with the
 * safe-point rule at its top, which also provides plat_preempt_init and
 * plat_irq_save/restore.  This file starts each M's timer and stops it
 * while the M parks.  It also provides the machine facts of rt/include/tally.h
 * (tally_nanotime, tally_sysinfo) that the kernel provides on bare metal.
 *
 * Data structures:
 *   hm[id]      per-M park state: mutex, condition (CLOCK_MONOTONIC) and
 *               `wake`, the pending-wake flag;
 *   m_self      thread-local M id (0 in every thread that is not an M, in
 *               particular the one that called rt_main);
 *   the ledger (class names, per-M time ledgers) is in rt_ledger_hosted.c;
 *               this file charges an M's park to "idle" and starts each
 *               M's ledger with its thread (M 0's when it starts the
 *               others, or at its first transition when it is alone);
 *   exit_hook   what plat_exit calls first (tests, see rt_test.h);
 *   syms        the executable's .symtab, mapped read-only from
 *               /proc/self/exe at the first backtrace (or when the
 *               preemption set-up asks for the switch's extent), so that
 *               frames of static functions get names too.
 *
 * Spinning: plat_relax pauses, and every 64th call gives the CPU away
 * (sched_yield): with more Ms than host cores, the rt_lock holder a
 * spinner waits for is often a preempted thread.
 * Invariants: plat_m_wake sets wake under hm[id].lock and signals; a park
 * returns when it finds wake set (clearing it) or its deadline passed, so
 * a wake that comes before the park is not lost, and a wake to a running M
 * makes its next park return at once (allowed: parks may return
 * spuriously).  A stack from plat_stack_alloc(size) is [lo, lo + size)
 * read-write with RT_HOSTED_GUARD bytes PROT_NONE right below lo.
 *
 * Locking: hm[id].lock guards hm[id].wake only.
 * No function here takes a runtime lock.
 *
 * Context: any M, any time.  Every function here is in section
 * rt_hosted_text (RT_HOSTED_TEXT), where the preemption signal never
 * switches a goroutine out: plat_m_wake holds a pthread mutex that
 * another goroutine of the same thread could want.  plat_write and
 * plat_backtrace take no runtime lock and call no allocator (the
 * backtrace maps the symbol table once), so they work on a broken
 * runtime.  The stack registry calls (rt_fiber_stack_*) keep rt_fiber.c
 * informed for the sanitizer builds.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "rt/platform.h"
#include "rt/rt_impl.h"  /* RT_MAX_M */
#include "rt/include/tally.h"
#include "rt/hosted/hosted.h"

#if defined(RT_TEST_ASAN)
#include <sanitizer/asan_interface.h>
#define STACK_UNPOISON(p, n) __asan_unpoison_memory_region((void *)(p), (n))
#else
#define STACK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define RT_HOSTED_GUARD (16 * 1024)         /* bytes PROT_NONE below a stack */
#define RT_HOSTED_M_STACK (8 * 1024 * 1024) /* pthread stack of an M (its g0) */

/* ------------------------------------------------------------ Ms */

struct hosted_m {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wake;               /* a wake is pending; hm[id].lock */
	void (*fn)(unsigned id);
	unsigned id;
};

static struct hosted_m hm[RT_MAX_M];
/* the test clock (rt_test_clock_*): while fake_clock is set, nanotime is
 * fake_now and parks end when it passes their deadline */
static int fake_clock;
static volatile uint64_t fake_now;
static pthread_once_t hm_once = PTHREAD_ONCE_INIT;
static _Thread_local unsigned m_self;
static unsigned max_ms_override;

RT_HOSTED_TEXT static _Noreturn void die(const char *msg)
{
	plat_write("hosted platform: ", 17);
	plat_write(msg, strlen(msg));
	plat_write("\n", 1);
	abort();
}

RT_HOSTED_TEXT static _Noreturn void die_errno(const char *what, int err)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "hosted platform: %s: %s\n", what, strerror(err));
	plat_write(buf, (size_t)n);
	abort();
}

RT_HOSTED_TEXT static void hm_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (unsigned i = 0; i < RT_MAX_M; i++) {
		pthread_mutex_init(&hm[i].lock, NULL);
		pthread_cond_init(&hm[i].cond, &ca);
		hm[i].id = i;
	}
	pthread_condattr_destroy(&ca);
}

RT_HOSTED_TEXT void rt_test_set_max_ms(unsigned n) { max_ms_override = n; }

RT_HOSTED_TEXT unsigned plat_max_ms(void)
{
	unsigned n = 4;
	const char *s = getenv("TALLY_MS");
	if (max_ms_override)
		n = max_ms_override;
	else if (s && *s)
		n = (unsigned)strtoul(s, NULL, 10);
	if (n < 1)
		n = 1;
	if (n > RT_MAX_M)
		n = RT_MAX_M;
	return n;
}


RT_HOSTED_TEXT static void *m_thread(void *p)
{
	struct hosted_m *h = p;
	m_self = h->id;
	rt_hosted_ledger_charge(h->id, 0);   /* this M's ledger starts now */
	rt_hosted_preempt_m_start(h->id);
	h->fn(h->id);
	die("M loop returned");
}

RT_HOSTED_TEXT void plat_start_m(unsigned id, void (*fn)(unsigned id))
{
	pthread_once(&hm_once, hm_init);
	if (id == 0 || id >= RT_MAX_M)
		die("plat_start_m: bad M id");
	if (!rt_hosted_ledger_started(m_self))
		rt_hosted_ledger_charge(m_self, 0);  /* M 0's ledger starts with the others */
	hm[id].fn = fn;
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, RT_HOSTED_M_STACK);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int err = pthread_create(&t, &a, m_thread, &hm[id]);
	pthread_attr_destroy(&a);
	if (err)
		die_errno("pthread_create", err);
}

RT_HOSTED_TEXT unsigned plat_m_id(void) { return m_self; }

static void park_fake(struct hosted_m *h, uint64_t deadline_ns);
static void watch_park(unsigned id, uint64_t deadline_ns, int parked);

RT_HOSTED_TEXT void plat_m_park(uint64_t deadline_ns)
{
	pthread_once(&hm_once, hm_init);
	struct hosted_m *h = &hm[m_self];
	if (__atomic_load_n(&fake_clock, __ATOMIC_ACQUIRE)) {
		rt_hosted_ledger_charge(m_self, 1);
		park_fake(h, deadline_ns);
		rt_hosted_ledger_charge(m_self, 0);
		return;
	}
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000u),
		.tv_nsec = (long)(deadline_ns % 1000000000u),
	};
	rt_hosted_preempt_park(1);
	rt_hosted_ledger_charge(m_self, 1);
	pthread_mutex_lock(&h->lock);
	while (!h->wake) {
		if (deadline_ns == 0) {
			pthread_cond_wait(&h->cond, &h->lock);
		} else {
			int err = pthread_cond_timedwait(&h->cond, &h->lock, &ts);
			if (err == ETIMEDOUT)
				break;
		}
	}
	h->wake = 0;
	pthread_mutex_unlock(&h->lock);
	rt_hosted_ledger_charge(m_self, 0);
	rt_hosted_preempt_park(0);
}

RT_HOSTED_TEXT void plat_m_wake(unsigned id)
{
	if (id >= RT_MAX_M)
		return;
	pthread_once(&hm_once, hm_init);
	struct hosted_m *h = &hm[id];
	pthread_mutex_lock(&h->lock);
	h->wake = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* A spin-wait hint.  Hosted, the lock holder a spinner waits for may be a
 * thread the kernel preempted (more Ms than host cores): after a burst of
 * pauses give the CPU away so that it can run. */
RT_HOSTED_TEXT void plat_relax(void)
{
	static _Thread_local unsigned spins;
	__builtin_ia32_pause();
	if (++spins % 64 == 0)
		sched_yield();
}

RT_HOSTED_TEXT uint64_t plat_nanotime(void)
{
	if (__atomic_load_n(&fake_clock, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The machine facts of rt/include/tally.h (bare metal: kernel/sysinfo.c).  Hosted,
 * "since the kernel started" is CLOCK_MONOTONIC, the same clock as
 * plat_nanotime, so runtime deadlines and application times compare. */
RT_HOSTED_TEXT uint64_t tally_nanotime(void) { return plat_nanotime(); }

RT_HOSTED_TEXT void tally_sysinfo(struct tally_sysinfo *si)
{
	memset(si, 0, sizeof(*si));
	si->arch = "x86_64";
	si->boot_loader = "hosted (Linux process)";
	si->cpu_model = "host";
	si->cpus_online = plat_max_ms();
	si->cycles_source = "none (hosted)";
	si->mem_usable = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	si->mem_free = (uint64_t)sysconf(_SC_AVPHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	si->cmdline = "";
	si->console = "stderr";
}

/* ------------------------------------------------------------ stacks */

RT_HOSTED_TEXT static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) & ~(pg - 1);
}

RT_HOSTED_TEXT size_t plat_stack_size(size_t requested) { return requested; }

RT_HOSTED_TEXT uintptr_t plat_stack_alloc(size_t size)
{
	size = page_round(size);
	char *p = mmap(NULL, size + RT_HOSTED_GUARD, PROT_NONE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	if (mprotect(p + RT_HOSTED_GUARD, size, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, size + RT_HOSTED_GUARD);
		return 0;
	}
	/* ASan does not clear the shadow of unmapped memory: a stack placed
	 * where an old one died could inherit stale redzones. */
	STACK_UNPOISON(p + RT_HOSTED_GUARD, size);
	rt_fiber_stack_add((uintptr_t)p + RT_HOSTED_GUARD, size);
	return (uintptr_t)p + RT_HOSTED_GUARD;
}

/* Not hosted: the test of trimming is on the machine. */
RT_HOSTED_TEXT uint64_t plat_stack_shrink(uintptr_t base, uintptr_t sp)
{
	(void)base, (void)sp;
	return 0;
}

RT_HOSTED_TEXT void plat_stack_free(uintptr_t base, size_t size)
{
	size = page_round(size);
	rt_fiber_stack_del(base, size);
	STACK_UNPOISON(base, size);
	munmap((char *)base - RT_HOSTED_GUARD, size + RT_HOSTED_GUARD);
}

/* The first fatal report wins: later reporters on other Ms sleep until
 * the winner's exit ends the process.  Hosted, the other Ms are not
 * stopped while the winner prints: each line is one write(2), and only
 * fatal reports are kept apart. */
static volatile unsigned fatal_owner;  /* M id + 1 of the first reporter */

RT_HOSTED_TEXT int plat_fatal_begin(void)
{
	unsigned me = m_self + 1, none = 0;
	if (__atomic_compare_exchange_n(&fatal_owner, &none, me, 0, __ATOMIC_SEQ_CST,
	                                __ATOMIC_SEQ_CST))
		return 1;
	if (none == me)
		return 0;
	for (;;)
		pause();
}

/* ------------------------------------------------------------ output, exit */

RT_HOSTED_TEXT void plat_write(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(2, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

RT_HOSTED_TEXT static void put(const char *s) { plat_write(s, strlen(s)); }

/* 1 if [p, p+n) is readable (process_vm_readv on ourselves: EFAULT
 * instead of a crash for a wild frame pointer). */
RT_HOSTED_TEXT static int readable(uintptr_t p, void *out, size_t n)
{
	struct iovec local = { out, n }, remote = { (void *)p, n };
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n;
}

/* The executable's own symbol table (static functions included), mapped
 * from /proc/self/exe once; NULL if it cannot be read. */
static const ElfW(Sym) *syms;
static const char *symstr;
static size_t nsyms;
static uintptr_t exe_bias;
static uintptr_t text_lo, text_hi;   /* the .text section, link-time addresses */
static pthread_once_t syms_once = PTHREAD_ONCE_INIT;

RT_HOSTED_TEXT static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	exe_bias = info->dlpi_addr;
	return 1;  /* the first one is the executable */
}

RT_HOSTED_TEXT static void syms_init(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	const char *img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return;
	const ElfW(Ehdr) *eh = (const void *)img;
	const ElfW(Shdr) *sh = (const void *)(img + eh->e_shoff);
	const char *shstr = eh->e_shstrndx < eh->e_shnum ? img + sh[eh->e_shstrndx].sh_offset : NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (shstr && sh[i].sh_type == SHT_PROGBITS && strcmp(shstr + sh[i].sh_name, ".text") == 0) {
			text_lo = sh[i].sh_addr;
			text_hi = sh[i].sh_addr + sh[i].sh_size;
		}
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh->e_shnum) {
			syms = (const void *)(img + sh[i].sh_offset);
			nsyms = sh[i].sh_size / sizeof(ElfW(Sym));
			symstr = img + sh[sh[i].sh_link].sh_offset;
		}
	}
	dl_iterate_phdr(first_object, NULL);
}

RT_HOSTED_TEXT static const char *exe_symbol(uintptr_t pc, uintptr_t *off)
{
	pthread_once(&syms_once, syms_init);
	uintptr_t v = pc - exe_bias;
	for (size_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *y = &syms[i];
		if (ELF64_ST_TYPE(y->st_info) == STT_FUNC && y->st_value <= v &&
		    v < y->st_value + y->st_size) {
			*off = v - y->st_value;
			return symstr + y->st_name;
		}
	}
	return NULL;
}

/* The extent [lo, hi) of the executable's function `name` (static ones
 * too); 0 if the symbol table has none. */
RT_HOSTED_TEXT int rt_hosted_symbol_range(const char *name, uintptr_t *lo, uintptr_t *hi)
{
	pthread_once(&syms_once, syms_init);
	for (size_t i = 0; i < nsyms; i++) {
		const ElfW(Sym) *y = &syms[i];
		if (ELF64_ST_TYPE(y->st_info) == STT_FUNC && y->st_value &&
		    strcmp(symstr + y->st_name, name) == 0) {
			*lo = exe_bias + y->st_value;
			*hi = *lo + y->st_size;
			return 1;
		}
	}
	return 0;
}

/* The extent [lo, hi) of the executable's .text section (its code, and
 * not the PLT stubs, .init or .fini around it); 0 if it has none. */
RT_HOSTED_TEXT int rt_hosted_text_range(uintptr_t *lo, uintptr_t *hi)
{
	pthread_once(&syms_once, syms_init);
	if (text_hi <= text_lo)
		return 0;
	*lo = exe_bias + text_lo;
	*hi = exe_bias + text_hi;
	return 1;
}

/* "name+off" from the executable's symbols or the dynamic ones, else
 * "(object+off)" for addr2line.  A return address is looked up at pc - 1:
 * a call that ends a function returns to the next one's first byte. */
RT_HOSTED_TEXT static void print_frame(unsigned i, uintptr_t pc)
{
	char buf[256];
	Dl_info di;
	const ElfW(Sym) *sym = NULL;
	uintptr_t q = pc - 1, off = 0;
	const char *name = exe_symbol(q, &off);
	int n;
	if (name)
		n = snprintf(buf, sizeof(buf), "  #%u 0x%016lx %s+0x%lx\n", i, (unsigned long)pc, name,
		             (unsigned long)off + 1);
	else if (!dladdr1((void *)q, &di, (void **)&sym, RTLD_DL_SYMENT))
		n = snprintf(buf, sizeof(buf), "  #%u 0x%016lx\n", i, (unsigned long)pc);
	else if (di.dli_sname && sym && q - (uintptr_t)di.dli_saddr < sym->st_size)
		n = snprintf(buf, sizeof(buf), "  #%u 0x%016lx %s+0x%lx\n", i, (unsigned long)pc,
		             di.dli_sname, (unsigned long)(pc - (uintptr_t)di.dli_saddr));
	else {
		const char *f = di.dli_fname ? strrchr(di.dli_fname, '/') : NULL;
		f = f ? f + 1 : di.dli_fname ? di.dli_fname : "?";
		n = snprintf(buf, sizeof(buf), "  #%u 0x%016lx (%s+0x%lx)\n", i, (unsigned long)pc, f,
		             (unsigned long)(pc - (uintptr_t)di.dli_fbase));
	}
	if (n > 0)
		plat_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Frame-pointer walk: [fp] = caller's fp, [fp + 8] = return address.
 * Best effort: stops at fp 0 (the trampoline of a fresh context clears
 * RBP), at a non-increasing or misaligned fp, or at unreadable memory. */
RT_HOSTED_TEXT __attribute__((noinline)) void plat_backtrace(uintptr_t pc, uintptr_t fp)
{
	if (!fp) {
		uintptr_t *self = __builtin_frame_address(0);
		pc = (uintptr_t)__builtin_return_address(0);
		fp = self[0];
	}
	put("backtrace:\n");
	unsigned i = 0;
	if (pc)
		print_frame(i++, pc);
	while (fp && i < 64 && (fp & 7) == 0) {
		uintptr_t fr[2];
		if (!readable(fp, fr, sizeof(fr)) || fr[1] == 0)
			break;
		print_frame(i++, fr[1]);
		if (fr[0] <= fp)
			break;
		fp = fr[0];
	}
}

static void (*exit_hook)(int status);
static void (*exit_quick)(void);  /* rt_test_set_exit_quick */

RT_HOSTED_TEXT void rt_test_set_exit_hook(void (*hook)(int status)) { exit_hook = hook; }
RT_HOSTED_TEXT void rt_test_set_exit_quick(void (*before_exit)(void)) { exit_quick = before_exit; }

/* The hook first (a test's longjmp); then, in a runtime child of
 * rt_test.c, flush stdio and _exit (no atexit handlers of the cmocka
 * parent, no leak check while Ms still run); else exit(). */
RT_HOSTED_TEXT _Noreturn void plat_exit(int status)
{
	if (exit_hook)
		exit_hook(status);
	if (exit_quick) {
		exit_quick();
		fflush(NULL);
		_exit(status);
	}
	exit(status);
}

RT_HOSTED_TEXT _Noreturn void plat_fatal_exit(int status)
{
	if (exit_hook)
		exit_hook(status);
	fflush(NULL);
	_exit(status);
}

/* ------------------------------------------------------------ test clock */

/* A parked M under the fake clock: wait until woken or until the clock
 * (moved by rt_test_clock_advance from another thread) reaches the
 * deadline; the watch sees the park for its whole length. */
RT_HOSTED_TEXT static void park_fake(struct hosted_m *h, uint64_t deadline_ns)
{
	pthread_mutex_lock(&h->lock);
	watch_park(h->id, deadline_ns, 1);
	while (!h->wake && !(deadline_ns && plat_nanotime() >= deadline_ns))
		pthread_cond_wait(&h->cond, &h->lock);
	h->wake = 0;
	watch_park(h->id, deadline_ns, 0);
	pthread_mutex_unlock(&h->lock);
}

void rt_test_clock_fake(uint64_t start)
{
	__atomic_store_n(&fake_now, start, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fake_clock, 1, __ATOMIC_RELEASE);
}

void rt_test_clock_advance(uint64_t ns)
{
	pthread_once(&hm_once, hm_init);
	__atomic_add_fetch(&fake_now, ns, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < RT_MAX_M; i++) {
		pthread_mutex_lock(&hm[i].lock);
		pthread_cond_broadcast(&hm[i].cond);
		pthread_mutex_unlock(&hm[i].lock);
	}
}

/* The park watch: what each M is parked with, under its hm lock. */
static struct {
	int parked;
	uint64_t deadline;
} watch[RT_MAX_M];

static void watch_park(unsigned id, uint64_t deadline_ns, int parked)
{
	watch[id].parked = parked;
	watch[id].deadline = deadline_ns;
}

int rt_test_park_state(unsigned id, uint64_t *deadline, int *wake_pending,
                       const volatile uint64_t *word, uint64_t *word_value)
{
	pthread_once(&hm_once, hm_init);
	if (id >= RT_MAX_M)
		return 0;
	pthread_mutex_lock(&hm[id].lock);
	int parked = watch[id].parked;
	*deadline = watch[id].deadline;
	*wake_pending = hm[id].wake;
	*word_value = __atomic_load_n(word, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&hm[id].lock);
	return parked;
}
