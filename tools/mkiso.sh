#!/bin/sh
# mkiso.sh - build a GRUB rescue ISO that boots Tally by multiboot2 on
# both BIOS (SeaBIOS, El Torito + i386-pc) and UEFI (OVMF, x86_64-efi).
#
# usage: tools/mkiso.sh <kernel.elf> <out.iso> [cmdline]
#        tools/mkiso.sh --arm64 <grub arm64-efi dir> <tally.efi> <out.iso> [cmdline]
#
# --arm64: GRUB for arm64 UEFI (AAVMF) has no multiboot2, and its `linux`
# loader wants a Linux EFI stub; the ISO's GRUB chainloads the UEFI
# loader instead (/EFI/tally/tally.efi, which carries the kernel):
#   chainloader /EFI/tally/tally.efi "<cmdline>"
# The whole command line is one double-quoted GRUB word ($ \ " escaped),
# which GRUB hands to the loader as its LoadOptions unchanged (several
# words would be joined by single blanks, losing the user's quoting).
#
# grub.cfg boots at once (timeout=0) with the serial port as console:
#   multiboot2 /boot/kernel.elf <cmdline>
# The command line goes through GRUB's script lexer: "..." groups words
# (GRUB 2.06 re-quotes a word that contains blanks when it builds the
# multiboot2 command line, and doubles \); $ and \ are escaped here so
# GRUB expands no variable and drops no backslash, and characters GRUB
# takes as syntax (' ; | & < > { }) are refused.
# Output of grub-mkrescue is kept quiet and shown only when it
# fails.  The ISO is written to a temporary file and renamed.
set -eu

die() { echo "mkiso: $*" >&2; exit 1; }

arm64=""
if [ "${1-}" = --arm64 ]; then
	[ $# -ge 4 ] && [ $# -le 5 ] ||
		die "usage: mkiso.sh --arm64 <grub arm64-efi dir> <tally.efi> <out.iso> [cmdline]"
	arm64=$2
	shift 2
fi
[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: mkiso.sh <kernel.elf> <out.iso> [cmdline]"
kernel=$1
out=$2
cmdline=${3-}

[ -f "$kernel" ] || die "$kernel: no such file"
command -v grub-mkrescue >/dev/null 2>&1 || die "grub-mkrescue not found (install grub-common)"
command -v xorriso >/dev/null 2>&1 || die "xorriso not found"
command -v mformat >/dev/null 2>&1 || die "mformat not found (install mtools)"
if [ -n "$arm64" ]; then
	[ -f "$arm64/modinfo.sh" ] || die "$arm64: no GRUB arm64-efi modules (tools/fetch-efi-arm64.sh)"
else
	for d in /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi; do
		[ -d "$d" ] || die "$d missing (install grub-pc-bin and grub-efi-amd64-bin)"
	done
fi
case $cmdline in
*'
'*) die "the command line must be one line" ;;
*[\'\;\|\&\<\>\{\}]*)
	die "GRUB would mangle the command line: avoid ' ; | & < > { }" ;;
esac
esc=$(printf '%s' "$cmdline" | sed 's/[$\\]/\\&/g')
qesc=$(printf '%s' "$cmdline" | sed 's/[$\\"]/\\&/g')

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkiso.XXXXXX")
tmp="$out.tmp.$$"
log="$out.log.$$"
trap 'rm -rf "$stage" "$tmp" "$log"' EXIT INT TERM

mkdir -p "$stage/boot/grub"
if [ -n "$arm64" ]; then
	mkdir -p "$stage/EFI/tally"
	cp "$kernel" "$stage/EFI/tally/tally.efi"
	cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "Tally" {
	chainloader /EFI/tally/tally.efi "$qesc"
	boot
}
CFG
else
cp "$kernel" "$stage/boot/kernel.elf"
cat > "$stage/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry "Tally" {
	multiboot2 /boot/kernel.elf $esc
	boot
}
CFG
fi

if ! grub-mkrescue ${arm64:+-d "$arm64"} --locales= --fonts= --themes= -o "$tmp" "$stage" \
	> "$log" 2>&1; then
	cat "$log" >&2
	die "grub-mkrescue failed"
fi
mv -f "$tmp" "$out"
