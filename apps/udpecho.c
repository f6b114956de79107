/*
 * udpecho.c - a UDP echo server (RFC 862) on Tally's sockets: every
 * datagram that arrives on the port is sent back to its sender unchanged.
 *
 * One goroutine per socket: main opens the port (argument 1, default 7)
 * and a second goroutine serves port+1 the same way, so the program shows
 * two goroutines parked on two sockets at once, woken by the scheduler's
 * poller, not two blocked CPUs.  A datagram whose content is exactly
 * "quit" ends the program after it is echoed, with the counters printed.
 * An idle time-out (argument 2, seconds; default 0: none) ends it too, by
 * the socket's read deadline.  A datagram that is exactly "mark" is
 * echoed, then the ledger summed over every CPU is printed as one line,
 *   udpecho: mark N hz H elapsed E residue R idle=C user=C ...
 * (N the datagrams echoed on that port so far, every class in cycles), so
 * that a benchmark (tools/netbench.py) can take the difference of two
 * marks around a phase; the line's own console output falls in the next
 * phase (about 400 bytes).
 *
 *   make kernel APP=apps/udpecho.c OUT=build/x86_64/apps/udpecho
 *   python3 tools/tally_qemu.py --boot direct --out build/x86_64/apps/udpecho \
 *       --smp 2 --cmdline "-- 7" \
 *       --extra=-netdev --extra=user,id=n0,hostfwd=udp:127.0.0.1:5555-:7 \
 *       --extra=-device --extra=virtio-net-pci,netdev=n0
 *   socat - UDP:127.0.0.1:5555        (in another shell; "quit" ends it)
 * At the end it prints its counters and what each datagram after the
 * first cost, class by class (rt.net, rt.netpoll, kern.driver, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

struct server {
	uint16_t port;
	uint64_t idle_ns;
	uint64_t echoed, bytes;
	struct tally_chan *done;
	struct tally_ledger first;   /* the ledger at the first datagram */
};

static void print_mark(const struct server *sv)
{
	struct tally_ledger l;
	if (tally_ledger_read(&l, TALLY_LEDGER_ALL) < 0)
		return;
	char line[1024];
	int k = snprintf(line, sizeof(line), "udpecho: mark %llu hz %llu elapsed %llu residue %lld",
	                 (unsigned long long)sv->echoed, (unsigned long long)l.cycles_hz,
	                 (unsigned long long)l.elapsed, (long long)l.residue);
	for (unsigned i = 0; i < l.nclasses && k > 0 && (size_t)k < sizeof(line); i++)
		if (l.classes[i].cycles)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " %s=%llu", l.classes[i].name,
			              (unsigned long long)l.classes[i].cycles);
	printf("%s\n", line);
}

static void serve(struct server *sv)
{
	struct tally_udp *s;
	int r = tally_udp_open(&s, sv->port);
	if (r < 0) {
		printf("udpecho: port %u: %s\n", sv->port, tally_strerror(r));
		int st = 1;
		tally_chan_send(sv->done, &st);
		return;
	}
	static uint8_t bufs[2][1472];
	uint8_t *buf = bufs[sv->port & 1];
	int status = 0;
	for (;;) {
		if (sv->idle_ns)
			tally_udp_set_deadline(s, tally_nanotime() + sv->idle_ns);
		uint32_t ip;
		uint16_t port;
		int n = tally_udp_recvfrom(s, buf, 1472, &ip, &port);
		if (n < 0) {
			if (n != TALLY_ETIMEDOUT && n != TALLY_ECLOSED) {
				printf("udpecho: port %u: recvfrom: %s\n", sv->port, tally_strerror(n));
				status = 1;
			}
			break;
		}
		r = tally_udp_sendto(s, ip, port, buf, (size_t)n);
		if (r < 0) {
			printf("udpecho: port %u: sendto: %s\n", sv->port, tally_strerror(r));
			continue;
		}
		if (sv->echoed++ == 0)
			tally_ledger_read(&sv->first, TALLY_LEDGER_ALL);
		sv->bytes += (uint64_t)n;
		if (n == 4 && !memcmp(buf, "quit", 4))
			break;
		if (n == 4 && !memcmp(buf, "mark", 4))
			print_mark(sv);
	}
	tally_udp_close(s);
	tally_chan_send(sv->done, &status);
}

static void serve_g(void *arg) { serve(arg); }

static void print_stats(void)
{
	struct tally_net_stats ns;
	tally_net_stats(&ns);
	printf("udpecho: stats");
	for (unsigned i = 0; i < ns.n; i++)
		if (ns.c[i].value)
			printf(" %s=%llu", ns.c[i].name, (unsigned long long)ns.c[i].value);
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 7;
	unsigned idle = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	if (port == 0 || port > 65534) {
		printf("udpecho: port must be 1..65534, not %s\n", argv[1]);
		return 2;
	}
	int r = tally_net_up(20000000000ull);
	if (r < 0) {
		printf("udpecho: no address: %s\n", tally_strerror(r));
		print_stats();  /* what the stack and the device did meanwhile */
		return 1;
	}
	struct tally_net_info ni;
	tally_net_info(&ni);
	printf("udpecho: listening on %u.%u.%u.%u ports %u and %u (netpoll %s)\n", ni.ip >> 24,
	       (ni.ip >> 16) & 255, (ni.ip >> 8) & 255, ni.ip & 255, port, port + 1, ni.netpoll);
	struct tally_chan *done = tally_chan_make(sizeof(int), 2);
	struct server a = { .port = (uint16_t)port, .idle_ns = (uint64_t)idle * 1000000000ull, .done = done };
	struct server b = { .port = (uint16_t)(port + 1), .idle_ns = (uint64_t)idle * 1000000000ull, .done = done };
	tally_go(serve_g, &b);
	/* main serves the first port; the first server to end ends the program */
	tally_go(serve_g, &a);
	int st = 0;
	tally_chan_recv(done, &st);
	printf("udpecho: echoed %llu datagrams (%llu bytes) on port %u, %llu on port %u\n",
	       (unsigned long long)a.echoed, (unsigned long long)a.bytes, port,
	       (unsigned long long)b.echoed, port + 1);
	if (a.echoed > 1) {
		/* what every datagram after the first cost, class by class, on
		 * all CPUs together (the first one pays for ARP and for the
		 * emulator translating the code the first time) */
		struct tally_ledger now, d;
		tally_ledger_read(&now, TALLY_LEDGER_ALL);
		tally_ledger_sub(&d, &now, &a.first);
		uint64_t n = a.echoed - 1;
		printf("udpecho: per datagram (%llu after the first, cycles): rt.net %llu rt.netpoll %llu "
		       "kern.driver %llu rt.sched %llu user %llu\n",
		       (unsigned long long)n, (unsigned long long)(tally_ledger_cycles(&d, "rt.net") / n),
		       (unsigned long long)(tally_ledger_cycles(&d, "rt.netpoll") / n),
		       (unsigned long long)(tally_ledger_cycles(&d, "kern.driver") / n),
		       (unsigned long long)(tally_ledger_cycles(&d, "rt.sched") / n),
		       (unsigned long long)(tally_ledger_cycles(&d, "user") / n));
	}
	print_stats();
	return st;
}
