/*
 * power.h - how the machine ends: the exit policy (onexit=).
 *
 * Every exit (the program's, a crash's, a bad boot option's) ends in
 * power_exit(status) once the console has the exit line.  Under an
 * emulator with an exit device (QEMU isa-debug-exit) the status leaves
 * through it, unless onexit= was given; otherwise onexit= decides:
 *   poweroff (the default)  ACPI soft-off (\_S5); if that is impossible,
 *                           say why and halt;
 *   reset                   the firmware's reset, then the ISA's fallbacks;
 *   halt                    stop with a message and wait for the user.
 *
 * Context: power_acpi_init at boot after the ACPI tables are parsed (and after
 * memory, to read the DSDT); power_exit on the exit path, alone, with
 * interrupts off or about to be.
 */
#ifndef TALLY_POWER_H
#define TALLY_POWER_H

struct acpi_info;

/* onexit= values (struct kopts.onexit). */
#define POWER_ONEXIT_POWEROFF 0
#define POWER_ONEXIT_RESET    1
#define POWER_ONEXIT_HALT     2

struct acpi_s5;
/* boot, for a machine described by ACPI (its init calls this): find the
 * DSDT's \_S5 sleep type, and at loglevel 2 print the reset and power-off
 * means found.  Returns the result, kept here until exit. */
const struct acpi_s5 *power_acpi_init(const struct acpi_info *a);
/* Leave the machine as the exit policy says.  Never returns. */
_Noreturn void power_exit(int status);

#endif
