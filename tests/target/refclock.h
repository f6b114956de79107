/*
 * refclock.h - a reference clock for tests that check the cycle counter's
 * users (the cost ledger) against time they did not measure: the HPET's
 * main counter, found through the machine's clock references.  The TSC is
 * calibrated against the ACPI PM timer when there is one, so the HPET is
 * a second, separate clock.  Context: any, after the machine is up.
 */
#ifndef TALLY_TESTS_REFCLOCK_H
#define TALLY_TESTS_REFCLOCK_H

#include <stdint.h>

/* 1 when the machine lists a sane 64-bit HPET (its main counter is turned
 * on at the first call), else 0. */
int refclock_init(void);
/* Nanoseconds of the HPET's main counter; refclock_init() must be 1. */
uint64_t refclock_ns(void);

#endif
