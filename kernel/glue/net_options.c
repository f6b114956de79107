/*
 * net_options.c - the network's boot options (set "net"):
 *   netpoll=hybrid|poll|irq  how the scheduler's poller finds received
 *                            frames (docs/net.md, "The poller"); default
 *                            hybrid
 *   ip=dhcp|A.B.C.D/N[,gw=A.B.C.D]  the interface's address (default
 *                            dhcp), parsed by rt/net/ipconf.c
 * A bad value stops the boot with a message naming it (status 64).
 * Read by plat_net_config (kernel/glue/rt_net.c) through net_options_get.
 * Context: boot only (and host tests): pure, no allocation.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/glue/glue.h"
#include "rt/net/ipconf.h"
#include "rt/rt_port.h"


static struct {
	unsigned mode;
	uint32_t ip, mask, gw;
} net_opts;

static void reset(void) { memset(&net_opts, 0, sizeof(net_opts)); }

static int set_netpoll(const char *v, const char **why)
{
	if (!strcmp(v, "hybrid"))
		net_opts.mode = RT_NETPOLL_HYBRID;
	else if (!strcmp(v, "poll"))
		net_opts.mode = RT_NETPOLL_POLL;
	else if (!strcmp(v, "irq"))
		net_opts.mode = RT_NETPOLL_IRQ;
	else {
		*why = "expected hybrid, poll or irq";
		return -1;
	}
	return 0;
}

static int set_ip(const char *v, const char **why)
{
	static char err[160];
	if (net_ipconf_parse(v, &net_opts.ip, &net_opts.mask, &net_opts.gw, err, sizeof(err)) < 0) {
		*why = err;
		return -1;
	}
	return 0;
}

static const struct bootopt opts[] = {
	{ "netpoll", "hybrid|poll|irq: how the scheduler finds received frames (default hybrid)",
	  set_netpoll },
	{ "ip", "dhcp|A.B.C.D/N[,gw=A.B.C.D]: the network interface's address (default dhcp)",
	  set_ip },
};
BOOTOPT_SET(net, "net", opts, sizeof(opts) / sizeof(opts[0]), reset, NULL);

void net_options_get(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw)
{
	*mode = net_opts.mode;
	*ip = net_opts.ip;
	*mask = net_opts.mask;
	*gw = net_opts.gw;
}
