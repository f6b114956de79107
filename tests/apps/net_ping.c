/*
 * net_ping.c - the network stack end to end under QEMU's user network:
 * an address from DHCP (or ip=), ICMP echo to the gateway 10.0.2.2
 * (slirp answers pings to its own addresses), which needs ARP first, and
 * the counters afterwards.
 *
 * Prints "net_ping: up ..." with the address, one line per echo with its
 * round trip, "net_ping: stats ..." and "net_ping: ok"; exits 1 on any
 * failure (a line says which).  The truth is slirp's: it answered DHCP,
 * ARP and each echo with the sequence number and data we sent (the stack
 * matches a reply to its request by identifier and sequence, and checks
 * nothing else; the data comparison here is against what this program
 * knows it sent: the stack fills echo data from the sequence number).
 * Arguments: [count] (default 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <tally.h>

static void show_ip(const char *what, uint32_t ip)
{
	printf("%s%u.%u.%u.%u", what, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 3;
	int r = tally_net_up(20000000000ull);
	if (r < 0) {
		printf("net_ping: no address: %s\n", tally_strerror(r));
		return 1;
	}
	struct tally_net_info ni;
	tally_net_info(&ni);
	show_ip("net_ping: up ", ni.ip);
	show_ip(" mask ", ni.mask);
	show_ip(" gw ", ni.gw);
	printf(" mac %02x:%02x:%02x:%02x:%02x:%02x %s netpoll %s\n", ni.mac[0], ni.mac[1], ni.mac[2],
	       ni.mac[3], ni.mac[4], ni.mac[5], ni.dhcp ? "dhcp" : "static", ni.netpoll);
	int ok = 0;
	for (int i = 1; i <= count; i++) {
		uint64_t rtt = 0;
		r = tally_ping(ni.gw ? ni.gw : tally_ip4(10, 0, 2, 2), (uint16_t)i, 56, 2000000000ull, &rtt);
		if (r == 0) {
			ok++;
			printf("net_ping: echo seq %d from gateway: %llu us\n", i,
			       (unsigned long long)(rtt / 1000));
		} else {
			printf("net_ping: echo seq %d: %s\n", i, tally_strerror(r));
		}
	}
	struct tally_net_stats st;
	tally_net_stats(&st);
	printf("net_ping: stats");
	for (unsigned i = 0; i < st.n; i++)
		if (st.c[i].value)
			printf(" %s=%llu", st.c[i].name, (unsigned long long)st.c[i].value);
	printf("\n");
	if (ok != count) {
		printf("net_ping: %d of %d echoes answered\n", ok, count);
		return 1;
	}
	printf("net_ping: ok\n");
	return 0;
}
