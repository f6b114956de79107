/*
 * rt_net.c - the network part of the runtime's platform contract
 * (rt/platform.h, "network devices") on bare metal: virtio-net, and the
 * network's boot options.
 *
 * Purpose: plat_net_* forward to drivers/virtio/virtio_net.h (device i is
 * the i-th virtio-net device brought up).  The driver charges its own work
 * to kern.driver and takes its queue locks; nothing here adds a cost.
 * plat_net_rx_irq turns the receive queue's interrupt on or off and names
 * rt_netpoll_irq as the handler's notify function, so a frame arriving on
 * an idle machine wakes a halted CPU (the handler sets flags and wakes,
 * nothing else: HACKING.md).
 *
 * The boot options netpoll= and ip= are kernel/glue/net_options.c's; a
 * device without interrupts (virtio_net_polled: on aarch64 until the ITS
 * is driven, or fewer than 3 MSI-X entries) turns any netpoll= into poll,
 * with one line saying so (plat_net_config).
 *
 * Context: thread context on an M, except rt_netpoll_irq's call from the
 * receive interrupt.
 */
#include <string.h>
#include "drivers/virtio/virtio_net.h"
#include "kernel/glue/glue.h"
#include "kernel/lib/kprintf.h"
#include "rt/platform.h"
#include "rt/rt_port.h"

unsigned plat_net_count(void)
{
	unsigned n = 0;
	while (virtio_net_get(n))
		n++;
	return n;
}

void plat_net_mac(unsigned dev, uint8_t mac[6])
{
	struct virtio_net *n = virtio_net_get(dev);
	if (n)
		memcpy(mac, virtio_net_mac(n), 6);
	else
		memset(mac, 0, 6);
}

int plat_net_link_up(unsigned dev)
{
	struct virtio_net *n = virtio_net_get(dev);
	return n ? virtio_net_link_up(n) : 0;
}

int plat_net_send(unsigned dev, const void *frame, size_t len)
{
	struct virtio_net *n = virtio_net_get(dev);
	return n ? virtio_net_send(n, frame, len) : -3;
}

int plat_net_recv(unsigned dev, struct plat_net_frame *f)
{
	struct virtio_net *n = virtio_net_get(dev);
	struct virtio_net_frame vf;
	if (!n || !virtio_net_recv(n, &vf))
		return 0;
	f->data = vf.data;
	f->len = vf.len;
	f->cookie = (uint32_t)vf.pair << 16 | vf.buf;
	f->csum_ok = vf.csum != 0;   /* NEEDS_CSUM or DATA_VALID */
	return 1;
}

void plat_net_recv_done(unsigned dev, const struct plat_net_frame *f)
{
	struct virtio_net *n = virtio_net_get(dev);
	if (!n)
		return;
	struct virtio_net_frame vf = { f->data, f->len, 0, (uint8_t)(f->cookie >> 16),
	                               (uint16_t)f->cookie };
	virtio_net_recv_done(n, &vf);
}

unsigned plat_net_rx_pending(unsigned dev)
{
	struct virtio_net *n = virtio_net_get(dev);
	return n ? virtio_net_rx_pending(n) : 0;
}

void plat_net_rx_irq(unsigned dev, int on)
{
	struct virtio_net *n = virtio_net_get(dev);
	if (!n)
		return;
	virtio_net_set_rx_notify(n, on ? rt_netpoll_irq : NULL);
	virtio_net_rx_interrupts(n, on);
}

int plat_net_queue_stats(unsigned dev, unsigned q, uint64_t *rx_frames, uint64_t *tx_frames)
{
	struct virtio_net *n = virtio_net_get(dev);
	struct virtio_net_qstats rx, tx;
	if (!n || virtio_net_pair_stats(n, q, &rx, &tx) < 0)
		return 0;
	*rx_frames = rx.frames;
	*tx_frames = tx.frames;
	return 1;
}

void plat_net_config(unsigned *mode, uint32_t *ip, uint32_t *mask, uint32_t *gw)
{
	static int said;
	net_options_get(mode, ip, mask, gw);
	/* a device without interrupts (no MSI-X on this machine, or too few
	 * entries) would leave an idle machine halted with frames waiting:
	 * only the poll mode, whose idle Ms wake to poll, serves it */
	struct virtio_net *n = virtio_net_get(0);
	if (n && virtio_net_polled(n) && *mode != RT_NETPOLL_POLL) {
		if (!said)
			kprintf("tally: net: netpoll=%s needs the device's interrupt, which it has "
			        "not: netpoll=poll\n", *mode == RT_NETPOLL_IRQ ? "irq" : "hybrid");
		said = 1;
		*mode = RT_NETPOLL_POLL;
	}
}

void plat_net_loss(uint32_t *ppm, uint32_t *seed)
{
	net_options_loss(ppm, seed);
}

uint32_t plat_net_tcp_fin_timeout(void)
{
	return net_options_fin_timeout();
}
