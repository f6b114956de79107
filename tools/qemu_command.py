#!/usr/bin/env python3
"""qemu_command.py - the QEMU command line of one Tally boot.

Purpose: tools/tally_qemu.py's knowledge of QEMU's arguments, kept apart
from the running of QEMU: which emulator (--qemu-bin, --arch), which
image each boot path takes from --out, which machine and firmware, and
the checks that refuse a set of options before anything starts.
tally_qemu.py imports every name here and re-exports it, so callers keep
writing tally_qemu.build_command(opts) (tools/testrun.py, bench.py,
netbench.py, ledger_overhead.py).

Data structures: `opts` is the argparse namespace of tally_qemu.parser(),
completed by tally_qemu.complete() (out, machine and cpu filled for the
architecture).  QEMU_VARIANTS maps a --qemu-bin name to an executable.
A command is a plain list of strings, QEMU's program first.

Invariants: every command carries -nodefaults -display none -no-reboot
-seed 1 and -serial stdio (the console tally_qemu reads); the guest's
status device (isa-debug-exit at port 0xf4 on x86_64, semihosting on
aarch64) is present unless --no-debug-exit removes it (power_args);
a path inside a -drive option has its commas doubled; the OVMF VARS
store named is the per-run copy the caller made (vars_path), never the
system's file.  check_options() returns a reason for every combination
build_command() cannot boot (cmdline on a baked image, a machine of the
other ISA, a missing image, firmware or QEMU).

Context: stdlib only; pure apart from the file-system checks
(check_qemu_program, check_options): it starts no process.  The QEMU
program is looked up here at call time (qemu_program reads QEMU and
QEMU_VARIANTS), so a test that stands in for QEMU patches this module.
"""

import os
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = "qemu-system-x86_64"
ARCHES = ("x86_64", "aarch64")
QEMU_A64 = "qemu-system-aarch64"
X86_MACHINES = ("q35", "pc", "isapc", "microvm")
A64_MACHINE = re.compile(r"^virt(,gic-version=[23])?(,its=off)?(,virtualization=on)?(,acpi=off)?$")
A64_IMAGE = "dtboot.img"
# aarch64 images: the boot test image (default) or the kernel's arm64 Image
A64_IMAGES = ("dtboot.img", "Image")
SEMIHOSTING = ["-semihosting-config", "enable=on,target=native"]
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# aarch64: AAVMF (Debian's qemu-efi-aarch64), the same EDK II for virt
AAVMF_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd"
AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd"
BOOTS = ("direct", "grub", "grub-efi", "uefi")
IMAGE = {"direct": "kernel.elf", "grub": "tally.iso", "grub-efi": "tally.iso",
         "uefi": "esp.img"}
# Named QEMU builds for --qemu-bin besides "system" (QEMU on PATH).  qemu10
# is bookworm-backports' QEMU, unpacked into build/ by tools/fetch-qemu10.sh
# (the bootstrap runs it): the only TCG here that offers x2APIC.
QEMU_VARIANTS = {
	"qemu10": os.path.join(ROOT, "build", "qemu10", "qemu-system-x86_64"),
}


def out_dir(opts):
	"""--out, or the architecture's default build directory."""
	return opts.out or os.path.join(ROOT, "build", opts.arch)


def firmware(opts):
	"""The UEFI firmware's (code, vars template) for opts' ISA."""
	if opts.arch == "aarch64":
		return AAVMF_CODE, AAVMF_VARS
	return OVMF_CODE, OVMF_VARS


def image_path(opts):
	if opts.arch == "aarch64" and opts.boot in ("uefi", "grub-efi"):
		return os.path.join(out_dir(opts), IMAGE[opts.boot])
	if opts.arch == "aarch64":
		return os.path.join(out_dir(opts), getattr(opts, "image", None) or A64_IMAGE)
	return os.path.join(out_dir(opts), IMAGE[opts.boot])


def qemu_program(opts):
	"""The QEMU executable opts.qemu_bin names: "system", a QEMU_VARIANTS
	name or a path."""
	if opts.qemu_bin == "system":
		return QEMU_A64 if opts.arch == "aarch64" else QEMU
	return QEMU_VARIANTS.get(opts.qemu_bin, opts.qemu_bin)


def check_qemu_program(opts):
	"""Return an error string when the QEMU chosen by --qemu-bin cannot be
	run, quoting why its fetch failed when that is known; else None."""
	prog = qemu_program(opts)
	if os.sep not in prog:
		if shutil.which(prog):
			return None
		return "%s not found on PATH" % prog
	if os.access(prog, os.X_OK):
		return None
	why = ""
	failed = os.path.join(os.path.dirname(prog), "fetch-failed.txt")
	if os.path.isfile(failed):
		with open(failed, errors="replace") as f:
			why = ": " + " ".join(f.read().split())
	elif opts.qemu_bin == "qemu10":
		why = " (never fetched: run `make qemu10` or tools/fetch-qemu10.sh)"
	return "QEMU %r not available, %s missing%s" % (opts.qemu_bin, prog, why)


def check_options(opts):
	"""Return an error string, or None when opts can be booted."""
	if opts.boot not in BOOTS:
		return "unknown boot path %r (one of %s)" % (opts.boot, ", ".join(BOOTS))
	if opts.arch not in ARCHES:
		return "unknown --arch %r (one of %s)" % (opts.arch, ", ".join(ARCHES))
	if opts.arch == "aarch64":
		if opts.boot not in ("direct", "uefi", "grub-efi"):
			return "--arch aarch64 boots only --boot direct, uefi or grub-efi (docs/boot.md)"
		if not A64_MACHINE.match(opts.machine):
			return ("--arch aarch64 needs --machine "
			        "virt[,gic-version=2|3][,virtualization=on][,acpi=off], not %r" % opts.machine)
	elif opts.machine not in X86_MACHINES:
		return "unknown --machine %r (one of %s)" % (opts.machine, ", ".join(X86_MACHINES))
	if opts.boot != "direct" and opts.cmdline:
		return ("--cmdline works only with --boot direct; for %s the command "
		        "line is baked into the image (make CMDLINE=...)" % opts.boot)
	if opts.smp < 1:
		return "--smp must be at least 1"
	if opts.timeout <= 0:
		return "--timeout must be positive"
	err = check_qemu_program(opts)
	if err:
		return err
	if not os.path.isfile(image_path(opts)):
		return "no image %s (build it first: make %s)" % (
			image_path(opts), "ARCH=aarch64 esp" if opts.arch == "aarch64" and
			opts.boot == "uefi" else "ARCH=aarch64 iso" if opts.arch == "aarch64" and
			opts.boot == "grub-efi" else "ARCH=aarch64" if opts.arch == "aarch64" else
			"kernel" if opts.boot == "direct" else
			"iso" if opts.boot.startswith("grub") else "esp")
	if opts.boot in ("grub-efi", "uefi"):
		for f in firmware(opts):
			if not os.path.isfile(f):
				return "firmware %s not found (install %s)" % (
					f, "qemu-efi-aarch64" if opts.arch == "aarch64" else "ovmf")
	return None


def build_command(opts, vars_path="OVMF_VARS.fd"):
	"""The QEMU argument vector for opts (vars_path: the per-run VARS copy)."""
	def q(path):  # a comma inside a -drive option value is written twice
		return path.replace(",", ",,")

	img = image_path(opts)
	cmd = [qemu_program(opts), "-nodefaults", "-display", "none", "-no-reboot",
	       "-machine", opts.machine, "-cpu", opts.cpu,
	       "-smp", str(opts.smp), "-m", opts.mem, "-seed", "1"]
	if opts.arch == "aarch64":
		cmd += SEMIHOSTING if opts.debug_exit else []
	else:
		cmd += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
	cmd += ["-serial", "stdio"]
	if opts.icount:
		cmd += ["-icount", "shift=0,align=off,sleep=off",
		        "-rtc", "base=2024-01-01T00:00:00,clock=vm"]
	if opts.boot in ("grub-efi", "uefi"):
		cmd += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + q(firmware(opts)[0]),
		        "-drive", "if=pflash,format=raw,unit=1,file=" + q(vars_path)]
		if opts.arch == "aarch64":
			# AAVMF waits 5 s for a boot-menu key unless QEMU's fw_cfg
			# says the menu's time-out is 0 (OVMF does not wait)
			cmd += ["-boot", "menu=on,splash-time=0"]
	if opts.boot == "direct":
		cmd += ["-kernel", img]
		if opts.cmdline:
			cmd += ["-append", opts.cmdline]
	elif opts.arch == "aarch64" and opts.boot == "grub-efi":
		# virt has no IDE: the ISO is a SCSI CD-ROM on virtio-scsi
		cmd += ["-drive", "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=" + q(img),
		        "-device", "virtio-scsi-pci,id=scsi", "-device", "scsi-cd,drive=cd"]
	elif opts.boot in ("grub", "grub-efi"):
		cmd += ["-drive", "media=cdrom,readonly=on,format=raw,file=" + q(img),
		        "-boot", "d"]
	elif opts.arch == "aarch64":
		# virt has no IDE: the ESP is a virtio disk on PCI, which AAVMF
		# boots as removable media (EFI/BOOT/BOOTAA64.EFI)
		cmd += ["-drive", "if=none,id=esp,format=raw,snapshot=on,file=" + q(img),
		        "-device", "virtio-blk-pci,drive=esp"]
	else:
		# snapshot=on: the firmware's writes never reach the image, and
		# two runs may share it.
		cmd += ["-drive", "format=raw,snapshot=on,file=" + q(img)]
	cmd += opts.extra
	return cmd


def power_args(opts, cmd, tmpdir):
	"""The options for exits without a status (see tally_qemu.py's module
	doc): returns
	(the command with them, the QMP socket path or None)."""
	cmd = list(cmd)
	if not opts.debug_exit and opts.arch != "aarch64":
		i = cmd.index("isa-debug-exit,iobase=0xf4,iosize=0x04")
		del cmd[i - 1:i + 1]
	qmp = None
	if opts.qmp:
		qmp = os.path.join(tmpdir, "qmp.sock")
		cmd[1:1] = ["-S", "-qmp", "unix:%s,server=on,wait=off" % qmp]
	if opts.cpu_reset_log:
		cmd[1:1] = ["-d", "cpu_reset", "-D", opts.cpu_reset_log]
	return cmd, qmp
