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
# How: a private apt configuration in DIR/apt (its own sources list for
# bookworm limited to arm64, its own lists and cache; the system's dpkg
# status and keys are read, never written), `apt-get download` of the two
# packages and `dpkg -x` into DIR/root.  The versions are bookworm's,
# recorded in DIR/manifest.txt.  With DIR/.done present the script does
# nothing and needs no network.  On failure it writes the reason to
# DIR/fetch-failed.txt, leaves no .done and exits 1 (the build stops
# there: the loader cannot be built without it).
# Refetch: rm -rf DIR.
set -eu

dir=${1:?usage: fetch-efi-arm64.sh DIR}
recipe="v1 bookworm arm64 gnu-efi grub-efi-arm64-bin"
mirror=${TALLY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
pkgs="gnu-efi:arm64 grub-efi-arm64-bin:arm64"

if [ -f "$dir/.done" ] && [ "$(head -n 1 "$dir/.done")" = "$recipe" ] &&
   [ -f "$dir/root/usr/lib/crt0-efi-aarch64.o" ]; then
	exit 0
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -f "$dir/.done" "$dir/fetch-failed.txt"
log="$dir/fetch.log"
: >"$log"

fail() {
	{
		echo "fetch-efi-arm64: $*"
		echo "(details: $log; retry: rm -rf $dir and make ARCH=aarch64 efi)"
	} | tee "$dir/fetch-failed.txt" >&2
	exit 1
}

[ -f "$keyring" ] || fail "$keyring missing (package debian-archive-keyring)"
command -v apt-get >/dev/null || fail "apt-get not found: this needs a Debian 12 machine"

a="$dir/apt"
rm -rf "$a" "$dir/debs" "$dir/root.new"
mkdir -p "$a/sources.list.d" "$a/state/lists/partial" "$a/cache/archives/partial" "$dir/debs"
echo "deb [arch=arm64 signed-by=$keyring] $mirror bookworm main" >"$a/sources.list"
set -- -q -o Dir::Etc::sourcelist="$a/sources.list" \
	-o Dir::Etc::sourceparts="$a/sources.list.d" \
	-o Dir::State="$a/state" -o Dir::Cache="$a/cache" \
	-o Acquire::Languages=none -o APT::Sandbox::User=root \
	-o APT::Architectures::=arm64

t0=$(date +%s)
echo "fetch-efi-arm64: fetching $pkgs from bookworm"
apt-get "$@" --error-on=any update >>"$log" 2>&1 ||
	fail "apt-get update failed (offline? $(grep -m 1 -E '^(E|W): ' "$log" || tail -n 1 "$log"))"
(cd "$dir/debs" && apt-get "$@" download $pkgs) >>"$log" 2>&1 ||
	fail "apt-get download failed: $(grep -m 1 -E '^(E|W): ' "$log" || tail -n 1 "$log")"
mkdir -p "$dir/root.new"
for deb in "$dir"/debs/*.deb; do
	dpkg -x "$deb" "$dir/root.new" || fail "dpkg -x $deb failed"
done
for f in usr/lib/crt0-efi-aarch64.o usr/lib/libefi.a usr/lib/libgnuefi.a \
	usr/lib/elf_aarch64_efi.lds usr/include/efi/aarch64/efibind.h usr/lib/grub/arm64-efi/modinfo.sh; do
	[ -f "$dir/root.new/$f" ] || fail "the packages lack $f"
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
