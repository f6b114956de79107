/*
 * args.c - system test: the words after `--` on the boot command line
 * arrive as argv.
 *
 * Purpose: proves the command line's path from every boot front end to
 * main(), including a quoted word with a space in it.  Prints argc and
 * every argv[i] between brackets so that stray spaces show; the case in
 * tests/system.cases boots with `-- one "two words" three` and expects
 * argv[1..3] = one, two words, three.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("args: argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("args: argv[%d]=[%s]\n", i, argv[i]);
	printf("args: argv[argc] is %s\n", argv[argc] ? "not NULL" : "NULL");
	return 0;
}
