/*
 * syscalls.c - the system-call layer under newlib.
 *
 * Purpose: newlib (built with --disable-newlib-supplied-syscalls and, on
 * x86_64-elf, MISSING_SYSCALL_NAMES) calls these plain-named functions.
 * Tally has one program and no files:
 *   write(1|2)   -> console; other descriptors EBADF
 *   read(0)      -> console input if a byte is waiting, else end of file
 *   sbrk         -> grows the "heap" region page by page from pmem; when
 *                   memory runs out it returns -1 with ENOMEM, so malloc
 *                   returns NULL and the program decides
 *   _exit        -> kernel_exit(status)
 *   gettimeofday/times -> time since boot from the cycle counter
 *   open/unlink/... -> ENOSYS/ENOENT
 * Ledger: each call that does work (write, read, sbrk, close, fstat,
 * isatty, lseek, gettimeofday, times) is charged to kern.syscall, entered
 * and left with cpu_ledger_enter/leave: the caller is pinned for the call,
 * so the frame is popped on the CPU that pushed it.  The console's UART
 * loop inside write is kern.driver, nested (kernel/console.c); sbrk's page
 * mapping stays kern.syscall, and a fault it takes is kern.fault.  The
 * calls that only fail (open, fork, ...) and _exit are not charged.
 * Context: thread context (not interrupt handlers): sbrk allocates.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include "arch/arch.h"
#include "kernel/console.h"
#include "kernel/cpu/cpu.h"
#include "kernel/glue/glue.h"
#include "kernel/kernel.h"
#include "kernel/panic.h"
#include "kernel/mem/vm.h"
#include "rt/include/tally.h"

#undef errno
extern int errno;

static struct vm_region *heap;
static uintptr_t brk;

void syscalls_init(struct vm_region *h)
{
	heap = h;
	brk = h->base;
}

void _exit(int status) { kernel_exit(status); }

int write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	console_write(buf, n);
	cpu_ledger_leave(c);
	return (int)n;
}

int read(int fd, void *buf, size_t n)
{
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	struct cpu *cpu = cpu_ledger_enter(LC_KERN_SYSCALL);
	size_t got = 0;
	int c;
	while (got < n && (c = console_getc()) >= 0)
		((char *)buf)[got++] = (char)c;
	cpu_ledger_leave(cpu);
	return (int)got;
}

static int do_sbrk(void *arg)
{
	ptrdiff_t incr = *(ptrdiff_t *)arg;
	if (incr < 0) {
		if ((uintptr_t)(-incr) > brk - heap->base)
			return -1;
		brk += incr;  /* pages stay committed; reused on the next growth */
		return 0;
	}
	if ((uintptr_t)incr > heap->base + heap->size - brk)
		return -1;
	if (vm_commit(heap, brk, (size_t)incr, VM_R | VM_W) < 0)
		return -1;
	brk += incr;
	return 0;
}

/* newlib calls sbrk under its malloc lock; the page allocator must not run
 * on a goroutine's growable stack, hence cpu_syscall. */
void *sbrk(ptrdiff_t incr)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	uintptr_t old = brk;
	int r = cpu_syscall(do_sbrk, &incr);
	cpu_ledger_leave(c);
	if (r < 0) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return (void *)old;
}

int close(int fd)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	int bad = fd < 0 || fd > 2;
	cpu_ledger_leave(c);
	if (bad) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR;
	cpu_ledger_leave(c);
	return 0;
}

int isatty(int fd)
{
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	int r = fd >= 0 && fd <= 2;
	cpu_ledger_leave(c);
	return r;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	cpu_ledger_leave(c);
	errno = ESPIPE;
	return -1;
}

int kill(int pid, int sig)
{
	(void)pid;
	/* abort() raises SIGABRT: report and exit like a crash */
	if (sig == 6)
		panic("abort() called by the program");
	errno = EINVAL;
	return -1;
}

int getpid(void) { return 1; }

int open(const char *path, int flags, ...)
{
	(void)path, (void)flags;
	errno = ENOENT;
	return -1;
}

int unlink(const char *path)
{
	(void)path;
	errno = ENOENT;
	return -1;
}

int link(const char *a, const char *b)
{
	(void)a, (void)b;
	errno = ENOSYS;
	return -1;
}

int stat(const char *path, struct stat *st)
{
	(void)path, (void)st;
	errno = ENOENT;
	return -1;
}

int fork(void)
{
	errno = ENOSYS;
	return -1;
}

int execve(const char *p, char *const a[], char *const e[])
{
	(void)p, (void)a, (void)e;
	errno = ENOSYS;
	return -1;
}

int wait(int *st)
{
	(void)st;
	errno = ECHILD;
	return -1;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	struct cpu *c = cpu_ledger_enter(LC_KERN_SYSCALL);
	uint64_t ns = tally_nanotime();
	tv->tv_sec = (time_t)(ns / 1000000000ull);
	tv->tv_usec = (suseconds_t)(ns % 1000000000ull / 1000);
	cpu_ledger_leave(c);
	return 0;
}

clock_t times(struct tms *t)
{
	struct cpu *cpu = cpu_ledger_enter(LC_KERN_SYSCALL);
	clock_t c = (clock_t)(tally_nanotime() / (1000000000ull / 100));  /* CLK_TCK 100 */
	if (t) {
		t->tms_utime = c;
		t->tms_stime = 0;
		t->tms_cutime = t->tms_cstime = 0;
	}
	cpu_ledger_leave(cpu);
	return c;
}
