/*
 * exit_nonl.c - a program whose last output does not end its line: the
 * kernel's ledger and exit lines still start lines of their own.
 */
#include <stdio.h>

int main(void)
{
	printf("exit_nonl: no newline at the end");
	return 3;
}
