/*
 * firmware.S - the two ways the aarch64 boot test image talks to what is
 * below it: Arm semihosting (the emulator, when it was started with
 * -semihosting) and PSCI (the hypervisor or secure firmware, or QEMU's
 * built-in PSCI when it has neither).
 *
 * Register contracts (AAPCS64 calls):
 *   a64_semihost(op, param)  w0 = operation, x1 = parameter block; returns
 *       x0.  The one HLT #0xf000 of the image is at a64_semihost_insn:
 *       without semihosting that HLT is an undefined instruction, and
 *       trap.c recognises its address, resumes after it with x0 = -1 and
 *       marks semihosting absent, so callers fall back (power.c).
 *   a64_psci_hvc(fn, a1, a2, a3), a64_psci_smc(...)  SMC Calling
 *       Convention: function id in w0, arguments in x1..x3, result in x0;
 *       the firmware may clobber x0..x17 (SMCCC 1.0), all of which AAPCS64
 *       already makes caller-saved, so the stub saves nothing.
 * Context: any; no stack use.
 */
	.text
	.globl	a64_semihost
	.globl	a64_semihost_insn
a64_semihost:
a64_semihost_insn:
	hlt	#0xf000
	ret

	.globl	a64_psci_hvc
a64_psci_hvc:
	hvc	#0
	ret

	.globl	a64_psci_smc
a64_psci_smc:
	smc	#0
	ret
