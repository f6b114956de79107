/*
 * hosted.h - the hosted platform: the second implementation of
 * rt/platform.h, with Linux threads as Ms (rt_platform_hosted.c), a time
 * ledger per M in CLOCK_MONOTONIC nanoseconds (rt_ledger_hosted.c), a fiber
 * record per stack for the sanitizers (rt_fiber.c), asynchronous
 * preemption by a per-M timer signal (rt_preempt_hosted.c,
 * rt_preempt_stub.S) and an in-memory network link (rt_net_hosted.c).
 *
 * Purpose: run the same rt/ code as the kernel does under cmocka, ASan,
 * UBSan, TSan and valgrind on the build machine.  This header is what it
 * offers a test harness (tests/host/rt_test.c): knobs, a fake clock, a
 * look at a parked M, preemption counts; and what its own files share.
 * It depends on nothing under tests/.
 *
 * Context: host only (x86_64 Linux: the context switch is
 * arch/x86_64/context.S).
 */
#ifndef TALLY_RT_HOSTED_H
#define TALLY_RT_HOSTED_H

#include <stddef.h>
#include <stdint.h>

/* Which sanitizer this build has: gcc says so with __SANITIZE_*__,
 * clang (which builds the TSan variant) with __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define RT_TEST_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define RT_TEST_TSAN 1
#endif
#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define RT_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define RT_TEST_TSAN 1
#endif
#endif

/* In the child: preemptions injected so far, in all and on M id. */
uint64_t rt_test_preemptions(void);
uint64_t rt_test_preemptions_m(unsigned id);

/* ---- knobs (rt_platform_hosted.c) ---- */
/* plat_exit calls hook(status) first; a hook that longjmps out makes a
 * fatal runtime error assertable in-process (NULL: none).  Without a hook,
 * or when it returns, a runtime child of rt_test_run ends with _exit. */
void rt_test_set_exit_hook(void (*hook)(int status));
/* Override plat_max_ms() (0: TALLY_MS from the environment, else 4). */
void rt_test_set_max_ms(unsigned n);
/* The calling M's current ledger class, the number of plat_ledger_switch
 * calls it made, and a class's name (NULL if unknown). */
unsigned rt_test_ledger_current(void);
uint64_t rt_test_ledger_switches(void);
const char *rt_test_ledger_name(unsigned cls);

/* The fake clock: from rt_test_clock_fake(start) on, plat_nanotime()
 * returns a value that only rt_test_clock_advance moves (call it from a
 * thread that is not an M), and a park with a deadline ends when the
 * clock passes it.  Timers then fire exactly when the test says. */
void rt_test_clock_fake(uint64_t start);
void rt_test_clock_advance(uint64_t ns);
/* Under the fake clock: 1 if M id is parked right now, with the deadline
 * it parked with (0: none), whether a wake is pending for it, and *word
 * read in the same instant (while a parked M cannot leave its park: M id
 * changes nothing of its own meanwhile). */
int rt_test_park_state(unsigned id, uint64_t *deadline, int *wake_pending,
                       const volatile uint64_t *word, uint64_t *word_value);

/* ---- the in-memory network link (rt_net_hosted.c) ---- */
/* Give the runtime network device 0 with this MAC, netpoll mode
 * (RT_NETPOLL_*) and address (ip 0: DHCP), as the boot options would. */
void rt_test_net_enable(const uint8_t mac[6], unsigned mode, uint32_t ip, uint32_t mask,
                        uint32_t gw);
/* 1: the receive interrupt fires only as virtio's EVENT_IDX lets it, at
 * its weakest (rt_net_hosted.c's head); 0 (the default): for every frame
 * while it is on.  Before rt_test_net_enable. */
void rt_test_net_event_idx(int on);
/* Stop the poller inside its poll once `frames` more frames were read:
 * its next read waits until rt_test_net_release (or 5 s). */
void rt_test_net_hold(uint64_t frames);
void rt_test_net_release(void);
/* Put a frame on the link towards the stack (any thread): 0, or -1 when
 * 256 frames wait already or it is longer than 1514 bytes. */
int rt_test_net_inject(const void *frame, size_t len);
/* The next frame the stack sent, waiting at most timeout_ns: its length
 * (copied up to cap), 0 when none came. */
size_t rt_test_net_take(void *buf, size_t cap, uint64_t timeout_ns);
/* Receive "interrupts" the link raised (injects while the interrupt was on). */
uint64_t rt_test_net_irqs(void);
/* As the boot option tcp_fin_timeout= (µs; 0: the default): set before the
 * first TCP call. */
void rt_test_net_fin_timeout(uint32_t us);

/* ---- between the hosted platform files ---- */
/* before_exit non-NULL: plat_exit calls it, then ends with fflush +
 * _exit instead of exit() (a test harness's forked children: no atexit
 * handlers of the parent, no leak check while Ms still run); NULL: off. */
void rt_test_set_exit_quick(void (*before_exit)(void));
void rt_fiber_stack_add(uintptr_t lo, size_t size);
void rt_fiber_stack_del(uintptr_t lo, size_t size);
/* Every function of the hosted platform (rt_platform_hosted.c,
 * rt_ledger_hosted.c, rt_fiber.c, rt_preempt_hosted.c, rt_preempt_stub.S)
 * lives in section rt_hosted_text, where the preemption signal never
 * preempts. */
#define RT_HOSTED_TEXT __attribute__((section("rt_hosted_text")))
/* plat_preempt_init does nothing while off (rt_test.c's children set it
 * from the quantum knob above; default on). */
void rt_test_set_preempt(int on);
/* rt_preempt_hosted.c: start M id's preemption timer (on its thread);
 * stop (parking 1) and restart (0) the calling M's timer around a park. */
void rt_hosted_preempt_m_start(unsigned id);
void rt_hosted_preempt_park(int parking);
/* rt_ledger_hosted.c, called on M m's own thread: whether M m's ledger
 * has started; charge the time since its last transition and charge
 * "idle" (idle != 0: the M parks) or its current class from now on (the
 * first call starts the ledger). */
int rt_hosted_ledger_started(unsigned m);
void rt_hosted_ledger_charge(unsigned m, int idle);
/* The extent [lo, hi) of the executable's function `name`; 0 if unknown. */
int rt_hosted_symbol_range(const char *name, uintptr_t *lo, uintptr_t *hi);
int rt_hosted_text_range(uintptr_t *lo, uintptr_t *hi);


#endif
