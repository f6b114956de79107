/*
 * dumpboot.h - the boot loader's raw data as console hex (dumpboot=1).
 */
#ifndef TALLY_BOOT_DUMPBOOT_H
#define TALLY_BOOT_DUMPBOOT_H

struct boot_info;

/* boot: print the loader's raw data and what was parsed from it (bi) as
 * "dumpboot:" lines for tools/record-fixture.py. */
void boot_dump(const struct boot_info *bi);

#endif
