#!/bin/sh
# fetch-linux.sh - fetch Debian's amd64 Linux kernel for the benchmark guest.
#
# Purpose: `make bench` compares Tally with Go and pthreads programs running
# in a Linux guest booted in the same QEMU configuration.  The guest kernel is
# Debian's own linux-image-*-amd64, fetched with `apt-get download` and
# unpacked with `dpkg -x` into a cache directory; nothing is installed on the
# build machine and its own kernel is never touched.
#
# Usage: fetch-linux.sh DIR     (default build/bench)
# Result: DIR/vmlinuz (a copy of the package's /boot/vmlinuz-*),
#         DIR/vmlinuz.version (the package name and version it came from) and
#         DIR/vmlinuz.config (the package's /boot/config-*: tools/bench.py
#         reads CONFIG_HZ and the preemption model from it) and
#         DIR/modules/*.ko (the package's virtio and virtio_net modules,
#         which Debian does not build in: the network benchmarks'
#         guest loads them, tools/netbench.py) with DIR/modules/order,
#         their names in load order (dependencies first: each module's
#         .modinfo `depends=`).
# Idempotent: a DIR/vmlinuz that exists is kept (delete it to refetch); a
# cache from before the config or the modules were kept fetches the same
# package again (the name in DIR/vmlinuz.version) for them.
#
# Which kernel: the version the metapackage linux-image-amd64 currently
# depends on; set LINUX_PKG=linux-image-6.1.0-NN-amd64 to pin one.
set -eu

dir=${1:-build/bench}
# The modules the guest needs for a virtio-net NIC, dependencies first.
NET_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
mkdir -p "$dir"
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/vmlinuz.config" ] && [ -s "$dir/modules/order" ]; then
	exit 0
fi
if [ -s "$dir/vmlinuz" ] && [ -s "$dir/vmlinuz.version" ] && [ -z "${LINUX_PKG:-}" ]; then
	LINUX_PKG=$(cut -d' ' -f1 "$dir/vmlinuz.version")
fi

# The kernel package linux-image-amd64 depends on (or $LINUX_PKG).
resolve() {
	if [ -n "${LINUX_PKG:-}" ]; then
		echo "$LINUX_PKG"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}

# Refresh the package lists (root only): a fresh machine may have none,
# and stale ones name versions the archive no longer has.
refresh() {
	[ "$(id -u)" -eq 0 ] || return 1
	apt-get update -qq
}

pkg=$(resolve)
if [ -z "$pkg" ] && refresh; then
	pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
	echo "fetch-linux: cannot resolve linux-image-amd64 (run apt-get update)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-linux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp"	# apt's download user writes here
echo "fetch-linux: downloading $pkg"
if ! (cd "$tmp" && apt-get download -qq "$pkg"); then
	refresh || exit 1
	pkg=$(resolve)
	(cd "$tmp" && apt-get download -qq "$pkg")
fi
deb=$(ls "$tmp"/*.deb | head -n 1)
dpkg -x "$deb" "$tmp/root"
img=$(ls "$tmp"/root/boot/vmlinuz-* | head -n 1)
if [ ! -s "$img" ]; then
	echo "fetch-linux: no /boot/vmlinuz-* in $deb" >&2
	exit 1
fi
cfg=$(ls "$tmp"/root/boot/config-* | head -n 1)
if [ -s "$cfg" ]; then
	cp "$cfg" "$dir/vmlinuz.config"
fi
mkdir -p "$dir/modules"
for m in $NET_MODULES; do
	ko=$(find "$tmp"/root/lib/modules -name "$m.ko" | head -n 1)
	if [ -z "$ko" ]; then
		echo "fetch-linux: no $m.ko in $deb" >&2
		exit 1
	fi
	cp "$ko" "$dir/modules/$m.ko"
done
printf '%s\n' $NET_MODULES > "$dir/modules/order"
cp "$img" "$dir/vmlinuz.tmp"
echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" > "$dir/vmlinuz.version"
mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
echo "fetch-linux: $dir/vmlinuz from $(cat "$dir/vmlinuz.version")"
