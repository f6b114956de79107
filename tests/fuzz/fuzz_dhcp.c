/*
 * fuzz_dhcp.c - net_dhcp_parse and net_dhcp_build (rt/net/dhcp.c).
 *
 * Input: one DHCP message (a UDP payload).  Seeds: the DHCP messages of
 * tests/fixtures/net/ (busybox's client and server, QEMU's slirp).
 *
 * Promises checked (dhcp.h): a NET_OK view has a message type 1..8, at
 * most NET_DHCP_MAX_DNS servers kept of those listed, and rebuilds into a
 * 300-byte message that parses back to the same fixed fields, type,
 * requested address and server identifier.
 */
#include "tests/fuzz/fuzz_net_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_dhcp v;
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	if (net_dhcp_parse(data, size, &v) != NET_OK)
		return 0;
	fz_check_dhcp(data, size, &v);
	enum net_drop r = net_dhcp_for_us(&v, v.xid, mac);
	FZ_CHECK(r == NET_OK || r == NET_DROP_NOT_FOR_US);
	FZ_CHECK((r == NET_OK) == (v.op == DHCP_BOOTREPLY && memcmp(v.chaddr, mac, 6) == 0));
	return 0;
}
