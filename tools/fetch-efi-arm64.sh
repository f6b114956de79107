#!/bin/sh
# fetch-efi-arm64.sh DIR - put Debian's arm64 builds of gnu-efi and of
# GRUB's arm64-efi modules into DIR/root without installing anything, and
# without adding arm64 to the system's dpkg architectures.
#
# Why: the aarch64 UEFI loader (boot/uefi/uefi_a64.mk) is a GNU-EFI
# application, and Debian's amd64 gnu-efi has only x86's crt0, libraries
# and linker script; the arm64 package (the same 3.0.15) has
# crt0-efi-aarch64.o, libefi.a, libgnuefi.a, elf_aarch64_efi.lds and the
# aarch64 headers.  grub-efi-arm64-bin has the modules grub-mkrescue needs
# for an arm64 ISO.  Both are plain files: nothing in them runs here.
#
# How: a private apt configuration in DIR/apt (tools/debfetch.sh: its own
# sources list for bookworm limited to arm64, its own lists and cache; the
# system's dpkg status and keys are read, never written), `apt-get
# download` of the two
# packages and `dpkg -x` into DIR/root.  The versions are bookworm's,
# recorded in DIR/manifest.txt.  With DIR/.done present the script does
# nothing and needs no network.  On failure it writes the reason to
# DIR/fetch-failed.txt, leaves no .done and exits 1 (the build stops
# there: the loader cannot be built without it).
# Refetch: rm -rf DIR.
set -eu

dir=${1:?usage: fetch-efi-arm64.sh DIR}
recipe="v1 bookworm arm64 gnu-efi grub-efi-arm64-bin"
pkgs="gnu-efi:arm64 grub-efi-arm64-bin:arm64"
name=fetch-efi-arm64
. "$(dirname "$0")/debfetch.sh"

if [ -f "$dir/.done" ] && [ "$(head -n 1 "$dir/.done")" = "$recipe" ] &&
   [ -f "$dir/root/usr/lib/crt0-efi-aarch64.o" ]; then
	exit 0
fi

retry="rm -rf $dir and make ARCH=aarch64 efi"
debfetch_begin "$dir" "deb [arch=arm64 signed-by=$keyring] $mirror bookworm main" \
	-o APT::Architectures::=arm64

t0=$(date +%s)
echo "fetch-efi-arm64: fetching $pkgs from bookworm"
debfetch_apt --error-on=any update >>"$log" 2>&1 ||
	debfetch_fail "apt-get update failed (offline? $(debfetch_why))"
(cd "$dir/debs" && debfetch_apt download $pkgs) >>"$log" 2>&1 ||
	debfetch_fail "apt-get download failed: $(debfetch_why)"
debfetch_unpack
for f in usr/lib/crt0-efi-aarch64.o usr/lib/libefi.a usr/lib/libgnuefi.a \
	usr/lib/elf_aarch64_efi.lds usr/include/efi/aarch64/efibind.h usr/lib/grub/arm64-efi/modinfo.sh; do
	[ -f "$dir/root.new/$f" ] || debfetch_fail "the packages lack $f"
done
rm -rf "$dir/root"
mv "$dir/root.new" "$dir/root"
t1=$(date +%s)
{
	echo "fetched $(date -u +%Y-%m-%dT%H:%MZ) in $((t1 - t0)) s from $mirror"
	for deb in "$dir"/debs/*.deb; do
		echo "$(dpkg-deb -W --showformat='${Package} ${Version}' "$deb")" \
			"$(stat -c %s "$deb") bytes"
	done
} >"$dir/manifest.txt"
rm -rf "$dir/debs" "$a"
printf '%s\n' "$recipe" >"$dir/.done"
echo "fetch-efi-arm64: done in $dir ($((t1 - t0)) s)"
