#!/bin/sh
# fetch-qemu10.sh DIR - put a newer QEMU (Debian bookworm-backports, 10.x at
# the time of writing) into DIR without installing anything system-wide.
#
# Why: QEMU 7.2's TCG (bookworm's QEMU) offers no x2APIC, so the x2APIC
# branch of arch/x86_64/lapic.c can only be booted under a newer QEMU.  The
# x2APIC system cases (tests/system.cases, `emulator = qemu10`) run the
# wrapper this script leaves in DIR.
#
# How: a private apt configuration in DIR/apt (tools/debfetch.sh: its own
# sources list with bookworm and bookworm-backports, its own lists and
# cache; the system's dpkg status, keys and apt.conf.d are read, never
# written) resolves what
# `apt-get install -t bookworm-backports qemu-system-x86` would install or
# upgrade on this machine: qemu-system-x86 itself and every package it needs
# at a version this machine does not have (shared libraries, firmware, its
# data files).  Those are fetched with `apt-get download` and unpacked with
# `dpkg -x` into DIR/root.  No version is pinned: the suite keeps only its
# newest build, which is resolved at fetch time and recorded in DIR/.done.
#
# Result: DIR/qemu-system-x86_64, a wrapper that runs the unpacked binary
# with its libraries (LD_LIBRARY_PATH), its modules (QEMU_MODULE_DIR) and
# its firmware and option ROMs (-L, its own before the system's);
# DIR/manifest.txt (packages, versions, sizes, fetch time); DIR/.done.
# With DIR/.done present the script does nothing and needs no network, so
# `make test` works offline once fetched.  On failure it writes the reason
# to DIR/fetch-failed.txt, leaves no .done and exits 1; the caller decides
# whether that stops the build (the bootstrap does not: the x2APIC cases
# then fail and quote that file).
#
# Runs as root (CI on a fresh machine) or as any user: apt-get needs no
# privilege on private directories.  Refetch: rm -rf DIR.
set -eu

dir=${1:?usage: fetch-qemu10.sh DIR}
recipe="v2 bookworm-backports qemu-system-x86"
name=fetch-qemu10
. "$(dirname "$0")/debfetch.sh"

if [ -f "$dir/.done" ] && [ "$(head -n 1 "$dir/.done")" = "$recipe" ] &&
   [ -x "$dir/qemu-system-x86_64" ]; then
	exit 0
fi

retry="make qemu10, or rm -rf $dir and make"
debfetch_begin "$dir" "deb [signed-by=$keyring] $mirror bookworm main
deb [signed-by=$keyring] $mirror bookworm-backports main"
fail() { debfetch_fail "$@"; }
why() { debfetch_why; }

t0=$(date +%s)
echo "fetch-qemu10: resolving qemu-system-x86 in bookworm-backports"
debfetch_apt --error-on=any update >>"$log" 2>&1 ||
	fail "apt-get update of bookworm-backports failed (offline? $(why))"

# What an install from the suite would add or upgrade here, name=version.
debfetch_apt -s install --no-install-recommends -t bookworm-backports \
	qemu-system-x86 >"$a/plan.txt" 2>>"$log" ||
	fail "apt-get cannot resolve qemu-system-x86 from bookworm-backports: $(why)"
pkgs=$(sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) .*/\1=\3/p' "$a/plan.txt")
echo "$pkgs" | grep -q '^qemu-system-x86=.*bpo' ||
	fail "bookworm-backports offers no qemu-system-x86 newer than the installed one (plan: $(echo $pkgs))"

(cd "$dir/debs" && debfetch_apt download $pkgs) >>"$log" 2>&1 ||
	fail "apt-get download failed: $(why)"
debfetch_unpack
rm -rf "$dir/root"
mv "$dir/root.new" "$dir/root"

r="$dir/root"
cat >"$dir/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# Written by tools/fetch-qemu10.sh: run the QEMU unpacked next to this file
# with its own libraries, modules and firmware (searched before the
# system's, which a newer QEMU's machine types may not match).
here=$(dirname "$(readlink -f "$0")")/root
libs=$here/usr/lib/x86_64-linux-gnu
export QEMU_MODULE_DIR="$libs/qemu"
export LD_LIBRARY_PATH="$libs:$here/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$here/usr/bin/qemu-system-x86_64" \
	-L "$here/usr/share/qemu" -L "$here/usr/share/seabios" "$@"
EOF
chmod +x "$dir/qemu-system-x86_64"

missing=$(LD_LIBRARY_PATH="$r/usr/lib/x86_64-linux-gnu:$r/lib/x86_64-linux-gnu" ldd "$r/usr/bin/qemu-system-x86_64" 2>&1 |
	grep 'not found' || true)
[ -z "$missing" ] || fail "unpacked QEMU lacks libraries: $missing"
"$dir/qemu-system-x86_64" -version >"$a/version.txt" 2>>"$log" ||
	fail "unpacked QEMU does not run: $(why)"
version=$(head -n 1 "$a/version.txt")
t1=$(date +%s)

{
	echo "$version"
	echo "fetched $(date -u +%Y-%m-%dT%H:%MZ) in $((t1 - t0)) s from $mirror"
	for deb in "$dir"/debs/*.deb; do
		echo "$(dpkg-deb -W --showformat='${Package} ${Version}' "$deb")" \
			"$(stat -c %s "$deb") bytes"
	done
	echo "downloaded $(du -sk "$dir/debs" | cut -f1) KiB, unpacked $(du -sk "$r" | cut -f1) KiB"
} >"$dir/manifest.txt"
rm -rf "$dir/debs" "$a/cache" "$a/state"
printf '%s\n%s\n' "$recipe" "$version" >"$dir/.done"
echo "fetch-qemu10: $version in $dir ($((t1 - t0)) s)"
