/*
 * glue.h - what the glue that runs newlib and the runtime on the kernel
 * offers the rest of the kernel (kernel/glue/).
 *
 * The glue's other halves are the contracts it implements: newlib's
 * system calls and lock hooks (syscalls.c, libc_locks.c) and the
 * runtime's platform (rt_platform.c, rt_ledger.c; rt/platform.h).
 */
#ifndef TALLY_GLUE_H
#define TALLY_GLUE_H

#include <stdint.h>

struct vm_region;

/* boot: the C library's heap (sbrk) grows inside region heap. */
void syscalls_init(struct vm_region *heap);
/* The network's boot options (net_options.c): netpoll= as RT_NETPOLL_*,
 * ip= as address, mask and gateway (0: dhcp). */
void net_options_get(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw);
void net_options_loss(uint32_t *ppm, uint32_t *seed);
/* tcp_fin_timeout= in microseconds (0: not given). */
uint32_t net_options_fin_timeout(void);

#endif
