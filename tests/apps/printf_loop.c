/*
 * printf_loop.c - a program that mostly makes system calls: 1000 lines of
 * 1000 bytes through printf (stdout is line-buffered, so one write per
 * line).  The ledger at exit must charge the calls to kern.syscall and the
 * UART loop under them to kern.driver, not to user (tests/system.cases).
 */
#include <stdio.h>
#include <string.h>

int main(void)
{
	static char pad[1000];
	memset(pad, '.', sizeof(pad) - 1);
	for (int i = 0; i < 1000; i++)
		printf("printf_loop: %04d %s\n", i, pad + 18);
	printf("printf_loop: done\n");
	return 0;
}
