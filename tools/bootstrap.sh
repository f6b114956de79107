#!/bin/sh
# bootstrap.sh [BUILD] - make sure the Debian packages Tally builds and tests
# with are installed.  As root it installs what is missing with apt-get;
# otherwise it prints the exact apt-get line and fails.  Called by the
# Makefile once per build tree (stamp: BUILD/.bootstrap, BUILD defaults to
# build).  libclang-rt-14-dev is clang's sanitizer and libFuzzer runtime
# (only recommended by clang, so named); socat, curl and wrk are the host-side
# clients of the network system cases; iproute2 (ip), iputils-ping and
# util-linux (unshare, nsenter) set up and use the tap device of the tap
# cases in a network namespace (tools/tapnet.py).  qemu-system-arm
# (qemu-system-aarch64) boots the aarch64 boot test image in its system
# cases, and libgcc-12-dev-arm64-cross is libgcc for aarch64 (soft-float
# long double, which newlib for aarch64-none-elf needs); docs/boot.md,
# "aarch64 status".
#
# Then it unpacks QEMU 10 from bookworm-backports into BUILD/qemu10 for the
# x2APIC system cases (tools/fetch-qemu10.sh; nothing is installed).  A
# failed fetch does not stop the build: it is reported here, `make test`
# retries it (`make qemu10`), and the x2APIC cases fail quoting the reason.
set -eu
build=${1:-build}

fetch_qemu10() {
	sh "$(dirname "$0")/fetch-qemu10.sh" "$build/qemu10" ||
		echo "bootstrap: WARNING: QEMU 10 not fetched; the x2APIC system cases will fail until \`make qemu10\` succeeds" >&2
}

PKGS="make gcc clang lld llvm python3 qemu-system-x86 ovmf gnu-efi \
grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools newlib-source \
libcmocka-dev texinfo bison flex xz-utils golang-go gnuplot-nox libc6-dev \
libclang-rt-14-dev socat curl wrk iproute2 iputils-ping util-linux \
qemu-system-arm libgcc-12-dev-arm64-cross qemu-efi-aarch64"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	fetch_qemu10
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
fetch_qemu10
