/*
 * net_options.c - the network's boot options (set "net"):
 *   netpoll=hybrid|poll|irq  how the scheduler's poller finds received
 *                            frames (docs/net.md, "The poller"); default
 *                            hybrid
 *   ip=dhcp|A.B.C.D/N[,gw=A.B.C.D]  the interface's address (default
 *                            dhcp), parsed by rt/net/ipconf.c
 *   netloss=P[,SEED]         loss injection (tests)
 *   tcp_fin_timeout=60s      how long a closed connection waits in
 *                            FIN_WAIT_2 for the peer's FIN (10ms..3600s;
 *                            default 60 s, Linux's tcp_fin_timeout)
 * A bad value stops the boot with a message naming it (status 64).
 * Read by plat_net_config, plat_net_loss and plat_net_tcp_fin_timeout
 * (kernel/glue/rt_net.c) through net_options_get, net_options_loss and
 * net_options_fin_timeout.
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
	uint32_t loss_ppm, loss_seed;
	uint32_t fin_timeout_us;   /* 0: the TCP module's default */
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

/* "P[.DDDD][,SEED]": P percent in parts per million, SEED a number. */
static int set_netloss(const char *v, const char **why)
{
	uint32_t ppm = 0, seed = 1;
	const char *p = v;
	unsigned ip = 0, frac = 0, nd = 0;
	if (*p < '0' || *p > '9')
		goto bad;
	while (*p >= '0' && *p <= '9' && ip <= 100)
		ip = ip * 10 + (unsigned)(*p++ - '0');
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && nd < 4)
			frac = frac * 10 + (unsigned)(*p++ - '0'), nd++;
		if (nd == 0)
			goto bad;
		for (; nd < 4; nd++)
			frac *= 10;
	}
	if (ip > 100 || (ip == 100 && frac))
		goto bad;
	ppm = ip * 10000 + frac;
	if (*p == ',') {
		p++;
		uint64_t x = 0;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9' && x <= 0xffffffffu)
			x = x * 10 + (unsigned)(*p++ - '0');
		if (x > 0xffffffffu)
			goto bad;
		seed = (uint32_t)x;
	}
	if (*p)
		goto bad;
	net_opts.loss_ppm = ppm;
	net_opts.loss_seed = seed;
	return 0;
bad:
	*why = "expected a percentage 0..100 (up to 4 decimals), optionally ,SEED";
	return -1;
}

static int set_fin_timeout(const char *v, const char **why)
{
	unsigned long long ns;
	if (bootopt_parse_duration(v, &ns) < 0 || ns < 10000000ull || ns > 3600000000000ull) {
		*why = "expected a duration from 10ms to 3600s, like 60s or 500ms";
		return -1;
	}
	net_opts.fin_timeout_us = (uint32_t)(ns / 1000);
	return 0;
}

static const struct bootopt opts[] = {
	{ "netpoll", "hybrid|poll|irq: how the scheduler finds received frames (default hybrid)",
	  set_netpoll },
	{ "ip", "dhcp|A.B.C.D/N[,gw=A.B.C.D]: the network interface's address (default dhcp)",
	  set_ip },
	{ "netloss", "P[,SEED]: drop P percent of frames on receive and send (tests; default 0)",
	  set_netloss },
	{ "tcp_fin_timeout", "60s|500ms: a closed TCP connection's wait in FIN_WAIT_2 for the "
	  "peer's FIN (default 60s)", set_fin_timeout },
};
BOOTOPT_SET(net, "net", opts, sizeof(opts) / sizeof(opts[0]), reset, NULL);

void net_options_get(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw)
{
	*mode = net_opts.mode;
	*ip = net_opts.ip;
	*mask = net_opts.mask;
	*gw = net_opts.gw;
}

uint32_t net_options_fin_timeout(void) { return net_opts.fin_timeout_us; }

void net_options_loss(uint32_t *ppm, uint32_t *seed)
{
	*ppm = net_opts.loss_ppm;
	*seed = net_opts.loss_seed;
}
