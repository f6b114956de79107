#!/bin/sh
# build-newlib.sh OUTDIR [ARCH] - build newlib for the freestanding kernel
# from Debian's newlib-source, with clang and the LLVM binutils.
# ARCH is x86_64 (the default) or aarch64.
#
# Result: OUTDIR/<triple>/{include,lib/libc.a,lib/libm.a} (triple
# x86_64-elf or aarch64-none-elf) and a stamp OUTDIR/.done holding the
# recipe hash; a second call with the same recipe is a no-op, so `make`
# never rebuilds it.  The kernel supplies the system-call layer
# (kernel/glue/syscalls.c), hence --disable-newlib-supplied-syscalls, and
# its locks (kernel/glue/libc_locks.c), hence
# --enable-newlib-retargetable-locking.
#
# aarch64: newlib 3.3.0's assembly string routines (memchr, strchr,
# strchrnul, strrchr) write `mov xN, vM.2d[0]`, which clang's assembler
# rejects; the element form `vM.d[0]` is the same instruction (UMOV), so
# the sources are patched after unpacking and the patch is checked (the
# build stops if the pattern is still there).  newlib for aarch64 is built
# without MISSING_SYSCALL_NAMES: it calls _write, _read, _sbrk, ... with
# the underscore, unlike x86_64-elf.  Its long-double printf needs libgcc's
# soft-float TFmode routines (package libgcc-12-dev-arm64-cross).
set -eu
out=$1
arch=${2:-x86_64}
tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
case $arch in
x86_64)
	triple=x86_64-elf
	cflags="--target=x86_64-unknown-elf -ffreestanding -mno-red-zone -O2 -g -fno-stack-protector -fno-pic"
	recipe="v4 $tarball $cflags retargetable-locking"
	;;
aarch64)
	triple=aarch64-none-elf
	cflags="--target=aarch64-none-elf -ffreestanding -O2 -g -fno-stack-protector -fno-pic"
	recipe="v1 $tarball $cflags retargetable-locking d0-patch"
	;;
*)
	echo "build-newlib: ARCH=$arch: expected x86_64 or aarch64" >&2
	exit 2
	;;
esac
if [ -f "$out/.done" ] && [ "$(cat "$out/.done")" = "$recipe" ]; then
	exit 0
fi
[ -f "$tarball" ] || { echo "build-newlib: $tarball missing (package newlib-source)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/src" "$out/build"
echo "build-newlib: building newlib 3.3.0 for $triple (about a minute)"
tar -C "$out/src" -xf "$tarball"
src=$(cd "$out/src"/newlib-* && pwd)
inst=$(cd "$out" && pwd)
if [ "$arch" = aarch64 ]; then
	m="$src/newlib/libc/machine/aarch64"
	sed -i 's/\(v[a-z_0-9]*\)\.2d\[\([01]\)\]/\1.d[\2]/g' \
		"$m/memchr.S" "$m/strchr.S" "$m/strchrnul.S" "$m/strrchr.S"
	if grep -n '\.2d\[' "$m"/*.S >&2; then
		echo "build-newlib: the .2d[N] patch left the lines above" >&2
		exit 1
	fi
fi
cd "$out/build"
CC_FOR_TARGET="clang $cflags" \
AR_FOR_TARGET=llvm-ar RANLIB_FOR_TARGET=llvm-ranlib \
AS_FOR_TARGET="clang $cflags" LD_FOR_TARGET=ld.lld \
NM_FOR_TARGET=llvm-nm OBJDUMP_FOR_TARGET=llvm-objdump \
"$src/configure" --target=$triple --prefix="$inst" \
	--disable-newlib-supplied-syscalls --disable-multilib \
	--enable-newlib-io-long-long --enable-newlib-io-c99-formats \
	--enable-newlib-retargetable-locking \
	--disable-nls >config.out 2>&1 ||
	{ tail -30 config.out >&2; exit 1; }
make -j"$(nproc)" all-target-newlib >build.out 2>&1 || { tail -40 build.out >&2; exit 1; }
make install-target-newlib >install.out 2>&1 || { tail -40 install.out >&2; exit 1; }
cd "$inst"
rm -rf src build
echo "$recipe" > .done
echo "build-newlib: done"
