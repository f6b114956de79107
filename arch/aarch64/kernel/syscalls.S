/*
 * syscalls.S - newlib's underscored system-call names for aarch64.
 *
 * newlib for aarch64-none-elf calls _write, _read, _close, ... (its
 * reentrant wrappers, libc/reent), where the x86_64-elf build (with
 * MISSING_SYSCALL_NAMES) calls write, read, close.  kernel/glue/syscalls.c
 * defines the plain names once for both ISAs; each underscored name here
 * is a tail branch to it (no frame, arguments untouched), so the kernel
 * holds no ISA-dependent list of system calls.  _exit and sbrk keep one
 * name on both (newlib calls them as they are).
 */
	.text
	.macro	alias name
	.globl	_\name
	.type	_\name, %function
_\name:
	b	\name
	.size	_\name, . - _\name
	.endm

	alias	write
	alias	read
	alias	close
	alias	fstat
	alias	isatty
	alias	lseek
	alias	kill
	alias	getpid
	alias	sbrk
	alias	open
	alias	unlink
	alias	link
	alias	stat
	alias	fork
	alias	execve
	alias	wait
	alias	gettimeofday
	alias	times
