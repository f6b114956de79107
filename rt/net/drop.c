/*
 * drop.c - names of the drop reasons of drop.h, for counters and reports.
 *
 * Invariant: one name per reason, in enum order (checked at compile time
 * by the array's size).  Context: pure; any context.
 */
#include "rt/net/drop.h"

static const char *const names[] = {
	[NET_OK] = "ok",
	[NET_DROP_SHORT] = "short",
	[NET_DROP_TRUNCATED] = "truncated",
	[NET_DROP_BAD_LEN] = "bad_len",
	[NET_DROP_BAD_CSUM] = "bad_csum",
	[NET_DROP_BAD_VERSION] = "bad_version",
	[NET_DROP_BAD_IHL] = "bad_ihl",
	[NET_DROP_FRAGMENT] = "fragment",
	[NET_DROP_BAD_OPTION] = "bad_option",
	[NET_DROP_BAD_ADDR] = "bad_addr",
	[NET_DROP_BAD_FIELD] = "bad_field",
	[NET_DROP_UNSUPPORTED] = "unsupported",
	[NET_DROP_NOT_FOR_US] = "not_for_us",
};

_Static_assert(sizeof names / sizeof names[0] == NET_DROP_NREASONS,
               "drop.c: a reason without a name");

const char *net_drop_name(enum net_drop r)
{
	return (unsigned)r < NET_DROP_NREASONS && names[r] ? names[r] : "?";
}
