/*
 * virtio_options.c - boot options of the virtio drivers:
 *   virtio_packed=on|off  negotiate VIRTIO_F_RING_PACKED when a device
 *                         offers it (on), or keep split rings (off).
 *                         Default off (split rings, the measured
 *                         baseline); the option makes the two comparable
 *                         in one QEMU configuration (docs/net.md,
 *                         "Packed virtqueues").
 *
 * Registered with BOOTOPT_SET (kernel/bootopt.h); read through
 * virtio_options_packed (virtio_pci.h).
 * Context: boot only (and host tests, fuzzers): pure, no allocation.
 */
#include <string.h>
#include "kernel/bootopt.h"

#define PACKED_DEFAULT 0

static int want_packed = PACKED_DEFAULT;

static int set_packed(const char *v, const char **why)
{
	if (!strcmp(v, "on"))
		want_packed = 1;
	else if (!strcmp(v, "off"))
		want_packed = 0;
	else {
		*why = "expected on or off";
		return -1;
	}
	return 0;
}

static const struct bootopt opts[] = {
	{ "virtio_packed", "on|off: use packed virtqueues when a device offers them "
	  "(default off, docs/net.md)", set_packed },
};

static void reset(void) { want_packed = PACKED_DEFAULT; }

BOOTOPT_SET(virtio, "virtio", opts, sizeof(opts) / sizeof(opts[0]), reset, NULL);

int virtio_options_packed(void) { return want_packed; }
