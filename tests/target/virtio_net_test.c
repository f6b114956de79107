/*
 * virtio_net_test.c - on-target tests of the virtio-net driver against
 * QEMU's user network (slirp).
 *
 * The truth is the peer's: an ARP request "who has 10.0.2.2, tell
 * 10.0.2.15" sent from the driver's MAC must be answered by slirp's
 * gateway, whose reply carries sender IP 10.0.2.2 and the MAC slirp gives
 * its own addresses (52:55:0a:00:02:02: 52:55 followed by the IPv4
 * address), and is addressed to our MAC.  The reply's arrival must have
 * raised the receive queue's MSI-X interrupt at least once (none may be
 * counted on a device driven without interrupts).
 *
 * Needs `-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0`
 * (tests/system.cases virtio_net_arp); without a device the test notes
 * SKIP and that case rejects the note.
 */
#include <stdint.h>
#include <string.h>
#include "arch/arch.h"
#include "drivers/virtio/virtio_net.h"
#include "kernel/cpu/cpu.h"
#include "kernel/ktest.h"
#include "kernel/ledger.h"

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t gw_ip[4] = { 10, 0, 2, 2 };
static const uint8_t my_ip[4] = { 10, 0, 2, 15 };

/* An Ethernet + ARP request (RFC 826), 42 bytes. */
static size_t arp_request(uint8_t *p, const uint8_t mac[6])
{
	memset(p, 0xff, 6);                        /* broadcast */
	memcpy(p + 6, mac, 6);
	p[12] = 0x08, p[13] = 0x06;                /* ARP */
	p[14] = 0x00, p[15] = 0x01;                /* hardware: Ethernet */
	p[16] = 0x08, p[17] = 0x00;                /* protocol: IPv4 */
	p[18] = 6, p[19] = 4;
	p[20] = 0x00, p[21] = 0x01;                /* request */
	memcpy(p + 22, mac, 6);
	memcpy(p + 28, my_ip, 4);
	memset(p + 32, 0, 6);
	memcpy(p + 38, gw_ip, 4);
	return 42;
}

static int is_gw_reply(const uint8_t *p, uint32_t len, const uint8_t mac[6])
{
	return len >= 42 && !memcmp(p, mac, 6) && p[12] == 0x08 && p[13] == 0x06 &&
	       p[20] == 0x00 && p[21] == 0x02 &&   /* reply */
	       !memcmp(p + 22, gw_mac, 6) && !memcmp(p + 28, gw_ip, 4) &&
	       !memcmp(p + 32, mac, 6) && !memcmp(p + 38, my_ip, 4);
}

KTEST(virtio_net_arp)
{
	struct virtio_net *n = virtio_net_get(0);
	if (!n) {
		ktest_note("SKIP: no virtio-net device bound");
		return;
	}
	const uint8_t *mac = virtio_net_mac(n);
	KASSERT(virtio_net_link_up(n));
	struct virtio_net_qstats rx0, tx0, rx1, tx1;
	virtio_net_stats(n, &rx0, &tx0);

	uint8_t req[64];
	size_t len = arp_request(req, mac);
	/* boot context: this test stays on the boot CPU, where the device's
	 * MSI-X messages are sent too */
	struct ledger_cpu *l = &this_cpu()->ledger;
	uint64_t drv0 = l->entries[LC_KERN_DRIVER];
	unsigned calls = 1;
	KASSERT_EQ(virtio_net_send(n, req, len), 0);

	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	uint64_t limit = (hz ? hz : 4000000000ull) * 2;   /* 2 s */
	int found = 0;
	unsigned others = 0;
	uint32_t reply_len = 0;
	while (!found && arch_cycles() - t0 < limit) {
		struct virtio_net_frame f;
		calls++;
		if (!virtio_net_recv(n, &f)) {
			arch_pause();
			continue;
		}
		if (is_gw_reply(f.data, f.len, mac)) {
			found = 1;
			reply_len = f.len;
		} else {
			others++;
		}
		virtio_net_recv_done(n, &f);
		calls++;
	}
	uint64_t us = (arch_cycles() - t0) / (hz ? hz / 1000000 : 4000);
	if (!found)
		ktest_fail(__FILE__, __LINE__, "ARP reply from 10.0.2.2",
		           " (none in 2 s; %u other frames)", others);
	/* the transmit buffer comes back */
	t0 = arch_cycles();
	do
		calls++;
	while (virtio_net_tx_complete(n) == 0 && arch_cycles() - t0 < limit / 4);
	virtio_net_stats(n, &rx1, &tx1);
	calls++;
	/* every driver call and every queue interrupt entered kern.driver */
	uint64_t drv = l->entries[LC_KERN_DRIVER] - drv0;
	if (ledger_on)
		KASSERT(drv >= calls + (rx1.irqs - rx0.irqs) + (tx1.irqs - tx0.irqs));
	KASSERT_EQ(tx1.frames - tx0.frames, 1);
	KASSERT_EQ(tx1.bytes - tx0.bytes, 42);
	KASSERT(tx1.completed - tx0.completed >= 1);
	KASSERT(rx1.frames - rx0.frames >= 1);
	if (virtio_net_polled(n))
		KASSERT_EQ(rx1.irqs + tx1.irqs, 0);
	else
		KASSERT(rx1.irqs - rx0.irqs >= 1);
	for (unsigned r = 0; r < VNET_DROP_NREASONS; r++) {
		KASSERT_EQ(rx1.drops[r], rx0.drops[r]);
		KASSERT_EQ(tx1.drops[r], tx0.drops[r]);
	}
	ktest_note("%s mac %02x:%02x:%02x:%02x:%02x:%02x: ARP reply from 10.0.2.2 is-at "
	           "52:55:0a:00:02:02 (%u bytes) after %lu us; rx irqs %lu, tx irqs %lu, "
	           "%u other frames; kern.driver entered %lu times for %u calls", virtio_net_where(n), mac[0], mac[1], mac[2], mac[3], mac[4],
	           mac[5], reply_len, us, rx1.irqs - rx0.irqs, tx1.irqs - tx0.irqs, others, drv, calls);
}

/* What the driver refuses to send is counted and never reaches the ring. */
KTEST(virtio_net_send_bad_length)
{
	struct virtio_net *n = virtio_net_get(0);
	if (!n) {
		ktest_note("SKIP: no virtio-net device bound");
		return;
	}
	static uint8_t big[VIRTIO_NET_FRAME_MAX + 1];
	struct virtio_net_qstats rx0, tx0, rx1, tx1;
	virtio_net_stats(n, &rx0, &tx0);
	KASSERT_EQ(virtio_net_send(n, big, 13), -1);
	KASSERT_EQ(virtio_net_send(n, big, sizeof(big)), -1);
	virtio_net_stats(n, &rx1, &tx1);
	KASSERT_EQ(tx1.drops[VNET_DROP_BAD_LEN] - tx0.drops[VNET_DROP_BAD_LEN], 2);
	KASSERT_EQ(tx1.frames, tx0.frames);
}

/* 400 requests, more than three times each ring: transmit buffers must
 * come back and be reused, receive buffers must be refilled across the
 * ring's wrap, and slirp must answer every request the driver accepted
 * (the count is the peer's, not the driver's). */
KTEST(virtio_net_arp_burst)
{
	struct virtio_net *n = virtio_net_get(0);
	if (!n) {
		ktest_note("SKIP: no virtio-net device bound");
		return;
	}
	const unsigned want = 400;
	const uint8_t *mac = virtio_net_mac(n);
	struct virtio_net_qstats rx0, tx0, rx1, tx1;
	virtio_net_stats(n, &rx0, &tx0);
	uint8_t req[64];
	size_t len = arp_request(req, mac);
	unsigned sent = 0, replies = 0, others = 0, full = 0;
	uint64_t hz = arch_cycles_hz(), t0 = arch_cycles();
	uint64_t limit = (hz ? hz : 4000000000ull) * 10;   /* 10 s */
	while ((sent < want || replies < sent) && arch_cycles() - t0 < limit) {
		if (sent < want) {
			int rc = virtio_net_send(n, req, len);
			if (rc == 0)
				sent++;
			else if (rc == -2)
				full++;
			else
				ktest_fail(__FILE__, __LINE__, "send", " (returned %d)", rc);
		}
		struct virtio_net_frame f;
		while (virtio_net_recv(n, &f)) {
			if (is_gw_reply(f.data, f.len, mac))
				replies++;
			else
				others++;
			virtio_net_recv_done(n, &f);
		}
	}
	uint64_t us = (arch_cycles() - t0) / (hz ? hz / 1000000 : 4000);
	virtio_net_tx_complete(n);
	virtio_net_stats(n, &rx1, &tx1);
	KASSERT_EQ(sent, want);
	KASSERT_EQ(replies, want);
	KASSERT_EQ(tx1.frames - tx0.frames, want);
	KASSERT_EQ(tx1.drops[VNET_DROP_RING_FULL] - tx0.drops[VNET_DROP_RING_FULL], full);
	KASSERT(rx1.frames - rx0.frames >= want);
	for (unsigned r = 0; r < VNET_DROP_NREASONS; r++)
		if (r != VNET_DROP_RING_FULL) {
			KASSERT_EQ(rx1.drops[r], rx0.drops[r]);
			KASSERT_EQ(tx1.drops[r], tx0.drops[r]);
		}
	ktest_note("%u ARP requests, %u replies from 10.0.2.2 in %lu us (%u sends met a full "
	           "transmit ring, %u other frames); rx irqs %lu", sent, replies, us,
	           full, others, rx1.irqs - rx0.irqs);
}
