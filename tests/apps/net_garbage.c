/*
 * net_garbage.c - the stack fed garbage through the device: a host script
 * (tools/net_garbage_client.py) on the other end of a QEMU socket netdev
 * writes raw Ethernet frames, malformed ones among them, and checks the
 * answers to the good ones; this program serves a UDP echo on port 7 and,
 * when the datagram "done" arrives, prints every drop counter (zeros
 * included) and the delivery counters, which the system case compares
 * with what the script sent (tests/system.cases, net_garbage).  Then it
 * hands three malformed frames of its own to the stack's receive entry
 * (tally_net_inject) and prints the counters again.
 *
 * Boot with a static address: ip=192.0.2.2/24 (the script plays
 * 192.0.2.1).  Exits 0 after "done", 1 when the network is missing.
 */
#include <stdio.h>
#include <string.h>
#include <tally.h>

static void print_drops(const char *what, const struct tally_net_stats *st)
{
	printf("net_garbage: %s", what);
	for (unsigned i = 0; i < st->n; i++)
		if (!strncmp(st->c[i].name, "drop.", 5))
			printf(" %s=%llu", st->c[i].name + 5, (unsigned long long)st->c[i].value);
	printf("\n");
}

int main(void)
{
	int r = tally_net_up(5000000000ull);
	if (r < 0) {
		printf("net_garbage: no address: %s\n", tally_strerror(r));
		return 1;
	}
	struct tally_udp *s;
	r = tally_udp_open(&s, 7);
	if (r < 0) {
		printf("net_garbage: port 7: %s\n", tally_strerror(r));
		return 1;
	}
	printf("net_garbage: ready\n");
	static uint8_t buf[1472];
	for (;;) {
		uint32_t ip;
		uint16_t port;
		int n = tally_udp_recvfrom(s, buf, sizeof(buf), &ip, &port);
		if (n < 0) {
			printf("net_garbage: recvfrom: %s\n", tally_strerror(n));
			return 1;
		}
		if (n == 4 && !memcmp(buf, "done", 4))
			break;
		tally_udp_sendto(s, ip, port, buf, (size_t)n);
	}
	struct tally_net_stats st;
	tally_net_stats(&st);
	print_drops("drops", &st);
	/* and three through the stack's receive entry, past the device: an
	 * IPv4 header of zeros (version 0), an LLDP frame, 5 bytes */
	struct tally_net_info ni;
	tally_net_info(&ni);
	static uint8_t f[64];
	memcpy(f, ni.mac, 6);
	memcpy(f + 6, "\x02\0\0\0\0\x01", 6);
	f[12] = 0x08, f[13] = 0x00;
	tally_net_inject(f, 34);
	f[12] = 0x88, f[13] = 0xcc;
	tally_net_inject(f, 60);
	tally_net_inject(f, 5);
	tally_net_stats(&st);
	print_drops("after inject: drops", &st);
	static const char *const keep[] = { "udp.in", "udp.out", "icmp.echo_in", "icmp.echo_out",
	                                    "tcp.rst_out", "rx.injected" };
	printf("net_garbage: delivered");
	for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		printf(" %s=%llu", keep[i], (unsigned long long)tally_net_stat(&st, keep[i]));
	printf("\n");
	tally_udp_close(s);
	return 0;
}
