#!/bin/sh
# bootstrap.sh - make sure the Debian packages Tally builds and tests with are
# installed.  As root it installs what is missing with apt-get; otherwise it
# prints the exact apt-get line and fails.  Called by the Makefile once per
# build tree (stamp: build/.bootstrap).  libclang-rt-14-dev is clang's
# sanitizer and libFuzzer runtime (only recommended by clang, so named).
set -eu

PKGS="make gcc clang lld llvm python3 qemu-system-x86 ovmf gnu-efi \
grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools newlib-source \
libcmocka-dev texinfo bison flex xz-utils golang-go gnuplot-nox libc6-dev \
libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "bootstrap: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: run as root:  apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
echo "bootstrap: installed:$missing"
