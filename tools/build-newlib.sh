#!/bin/sh
# build-newlib.sh OUTDIR - build newlib for the freestanding x86_64 kernel
# from Debian's newlib-source, with clang and the LLVM binutils.
#
# Result: OUTDIR/x86_64-elf/{include,lib/libc.a,lib/libm.a} and a stamp
# OUTDIR/.done holding the recipe hash; a second call with the same recipe is
# a no-op, so `make` never rebuilds it.  The kernel supplies the system-call
# layer (kernel/glue/syscalls.c), hence --disable-newlib-supplied-syscalls, and
# its locks (kernel/glue/libc_locks.c), hence --enable-newlib-retargetable-locking.
set -eu
out=$1
tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
cflags="--target=x86_64-unknown-elf -ffreestanding -mno-red-zone -O2 -g -fno-stack-protector -fno-pic"
recipe="v4 $tarball $cflags retargetable-locking"
if [ -f "$out/.done" ] && [ "$(cat "$out/.done")" = "$recipe" ]; then
	exit 0
fi
[ -f "$tarball" ] || { echo "build-newlib: $tarball missing (package newlib-source)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/src" "$out/build"
echo "build-newlib: building newlib 3.3.0 for x86_64-elf (about a minute)"
tar -C "$out/src" -xf "$tarball"
src=$(cd "$out/src"/newlib-* && pwd)
inst=$(cd "$out" && pwd)
cd "$out/build"
CC_FOR_TARGET="clang $cflags" \
AR_FOR_TARGET=llvm-ar RANLIB_FOR_TARGET=llvm-ranlib \
AS_FOR_TARGET="clang $cflags" LD_FOR_TARGET=ld.lld \
NM_FOR_TARGET=llvm-nm OBJDUMP_FOR_TARGET=llvm-objdump \
"$src/configure" --target=x86_64-elf --prefix="$inst" \
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
