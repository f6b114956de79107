#!/bin/sh
# mkesp.sh - build a FAT EFI system partition image that boots tally.efi.
#
# usage: tools/mkesp.sh <tally.efi> <out.img> [cmdline]
#
# The image is a bare FAT filesystem (no partition table; UEFI firmware,
# OVMF included, boots such a "superfloppy" as removable media) holding
#   EFI/BOOT/BOOTX64.EFI   the loader with the kernel inside it (the
#                          removable-media name for its PE machine:
#                          BOOTAA64.EFI for an aarch64 loader)
#   EFI/tally/cmdline.txt  the kernel command line, only if one is given
# Built with mtools only: no root, no loop device.  The size is the
# loader plus 1 MiB of slack, at least 4 MiB.  The image is written to a
# temporary file and renamed, so a failure never leaves a half image.
set -eu

die() { echo "mkesp: $*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: mkesp.sh <tally.efi> <out.img> [cmdline]"
efi=$1
out=$2
cmdline=${3-}

[ -f "$efi" ] || die "$efi: no such file"
for t in mformat mmd mcopy; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (install mtools)"
done

# The PE header (at the offset in bytes 60..63) names the machine.
pe=$(od -An -tu4 -j60 -N4 "$efi" | tr -d ' ')
[ -n "$pe" ] && [ "$(od -An -c -j"$pe" -N2 "$efi" 2>/dev/null | tr -d ' ')" = "PE" ] ||
	die "$efi: not a PE image"
case $(od -An -tx2 -j$((pe + 4)) -N2 "$efi" | tr -d ' ') in
8664) bootname=BOOTX64.EFI ;;
aa64) bootname=BOOTAA64.EFI ;;
*) die "$efi: PE machine $(od -An -tx2 -j$((pe + 4)) -N2 "$efi" | tr -d ' ') is neither x86_64 (8664) nor aarch64 (aa64)" ;;
esac

efi_kib=$(( ($(wc -c < "$efi") + 1023) / 1024 ))
size_mib=$(( (efi_kib + 1024 + 1023) / 1024 ))
[ "$size_mib" -ge 4 ] || size_mib=4

tmp="$out.tmp.$$"
txt="$out.cmdline.$$"
trap 'rm -f "$tmp" "$txt"' EXIT INT TERM

export MTOOLS_SKIP_CHECK=1
rm -f "$tmp"
# 64 heads x 32 sectors: 1 MiB per cylinder.
mformat -i "$tmp" -C -t "$size_mib" -h 64 -s 32 -v TALLY :: \
	|| die "mformat failed"
mmd -i "$tmp" ::/EFI ::/EFI/BOOT || die "mmd failed"
mcopy -i "$tmp" "$efi" ::/EFI/BOOT/$bootname || die "mcopy of $efi failed"
if [ -n "$cmdline" ]; then
	case $cmdline in
	*'
'*) die "the command line must be one line" ;;
	esac
	printf '%s\n' "$cmdline" > "$txt"
	mmd -i "$tmp" ::/EFI/tally || die "mmd failed"
	mcopy -i "$tmp" "$txt" ::/EFI/tally/cmdline.txt || die "mcopy of cmdline failed"
fi
mv -f "$tmp" "$out"
rm -f "$txt"
trap - EXIT INT TERM
