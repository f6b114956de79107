/*
 * fuzz_bootopt.c - the boot command line through kopts_parse()
 * (kernel/options.c, kernel/bootopt.c, kernel/lib/regex.c).
 *
 * Input: the command line (a NUL in it ends it, as in boot_info).
 * Promises checked (bootopt.h, kernel.h, options.c):
 *   always: err is NUL-terminated in its buffer; argv[argc] == NULL with
 *   0 <= argc < 64; a second parse of the same line gives the same result
 *   (kopts_parse resets kopts);
 *   on failure: err starts "boot option";
 *   on success: err is empty, argv[0] is "tally", every argv[i] and
 *   every given[i] lies in argbuf and is NUL-terminated there, given[i]
 *   is "key=..." of table entry i; every kopts field is in its documented
 *   range and the cross-key rules hold (stackinit <= stackmax, no quantum=
 *   with tick=0, not both test= and bench=); bench= is a valid pattern
 *   and runs; on a line without quotes, argv[1..] are exactly the words
 *   after the first "--" when split at blanks.
 */
#include <stdint.h>
#include <string.h>
#include "tests/fuzz/fuzz.h"
#include "kernel/kernel.h"
#include "kernel/lib/regex.h"

static struct bootopt_result res, res2;

static int in_argbuf(const struct bootopt_result *r, const char *p)
{
	return p >= r->argbuf && p < r->argbuf + sizeof r->argbuf &&
	       memchr(p, '\0', (size_t)(r->argbuf + sizeof r->argbuf - p)) != NULL;
}

static void check_success(void)
{
	unsigned i;
	int k;

	FZ_CHECK(res.err[0] == '\0');
	FZ_CHECK(res.argc >= 1 && res.argc < 64);
	FZ_CHECK(strcmp(res.argv[0], "tally") == 0);
	for (k = 0; k < res.argc; k++)
		FZ_CHECK(in_argbuf(&res, res.argv[k]));
	for (i = 0; i < BOOTOPT_MAX_OPTS; i++) {
		const char *w = res.given[i];
		size_t kl;

		if (i >= kernel_bootopts_count) {
			FZ_CHECK(w == NULL);
			continue;
		}
		if (w == NULL)
			continue;
		FZ_CHECK(in_argbuf(&res, w));
		kl = strlen(kernel_bootopts[i].key);
		FZ_CHECK(strncmp(w, kernel_bootopts[i].key, kl) == 0 && w[kl] == '=');
	}
	/* every value in its documented range */
	FZ_CHECK(kopts.serial_port > 0 && kopts.serial_port <= 0xfff8);
	FZ_CHECK(kopts.serial_name != NULL);
	FZ_CHECK(kopts.loglevel >= 0 && kopts.loglevel <= 3);
	FZ_CHECK(kopts.dumpboot == 0 || kopts.dumpboot == 1);
	FZ_CHECK(kopts.pcidump == 0 || kopts.pcidump == 1);
	FZ_CHECK(kopts.tick_hz <= 100000);
	FZ_CHECK(kopts.max_cpus <= 64);
	FZ_CHECK(kopts.ledger == 0 || kopts.ledger == 1);
	FZ_CHECK(kopts.quantum_ns >= 10000 && kopts.quantum_ns <= 1000000000ull);
	FZ_CHECK(kopts.benchtime_ns <= 3600000000000ull);
	FZ_CHECK(kopts.bench_count <= 1000000000ull);
	FZ_CHECK(kopts.bench_count == 0 || kopts.benchtime_ns == 0);
	FZ_CHECK(kopts.stackmax >= (64u << 10) && kopts.stackmax <= (1ull << 30) &&
	         kopts.stackmax % 4096 == 0);
	FZ_CHECK(kopts.stackinit >= 4096 && kopts.stackinit <= (1u << 20) &&
	         kopts.stackinit % 4096 == 0);
	FZ_CHECK(kopts.apfail >= -1 && kopts.apfail <= 0xfffffffell);
	/* the cross-key rules */
	FZ_CHECK(kopts.stackinit <= kopts.stackmax);
	FZ_CHECK(!(kopts.tick_hz == 0 &&
	           bootopt_given(&res, kernel_bootopts, kernel_bootopts_count, "quantum")));
	FZ_CHECK(!(kopts.test && kopts.bench));
	if (kopts.test && strcmp(kopts.test, "*") != 0)
		FZ_CHECK(in_argbuf(&res, kopts.test));
	if (kopts.bench) {
		FZ_CHECK(in_argbuf(&res, kopts.bench));
		FZ_CHECK(regex_valid(kopts.bench));
		(void)regex_search(kopts.bench, "BenchmarkSpawnJoin");
	}
}

/* Without quotes, words are what splitting at blanks gives: check argv
 * against that (an oracle independent of bootopt.c's tokenizer). */
static void check_words(const char *line)
{
	const char *p = line;
	int args = 0, n = 1;

	if (strchr(line, '"') != NULL)
		return;
	for (;;) {
		size_t len;

		p += strspn(p, " \t\r\n");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t\r\n");
		if (!args && len == 2 && p[0] == '-' && p[1] == '-') {
			args = 1;
		} else if (args) {
			FZ_CHECK(n < res.argc);
			FZ_CHECK(strlen(res.argv[n]) == len && memcmp(res.argv[n], p, len) == 0);
			n++;
		}
		p += len;
	}
	FZ_CHECK(n == res.argc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct kopts first;
	int rc, rc2;

	FZ_CHECK(line != NULL);
	memcpy(line, data, size);
	line[size] = '\0';
	memset(&res, 0x5a, sizeof res);
	rc = kopts_parse(line, &res);
	FZ_CHECK(rc == 0 || rc == -1);
	FZ_CHECK(memchr(res.err, '\0', sizeof res.err) != NULL);
	FZ_CHECK(res.argc >= 0 && res.argc < 64 && res.argv[res.argc] == NULL);
	if (rc == 0) {
		check_success();
		check_words(line);
	}
	else
		fz_check_err(res.err, sizeof res.err, "boot option");
	/* deterministic, and independent of the previous parse */
	first = kopts;
	memset(&res2, 0xa5, sizeof res2);
	rc2 = kopts_parse(line, &res2);
	FZ_CHECK(rc2 == rc);
	FZ_CHECK(strcmp(res.err, res2.err) == 0);
	FZ_CHECK(res2.argc == res.argc);
	FZ_CHECK(kopts.serial_port == first.serial_port && kopts.tick_hz == first.tick_hz &&
	         kopts.quantum_ns == first.quantum_ns && kopts.stackmax == first.stackmax &&
	         kopts.stackinit == first.stackinit && kopts.apfail == first.apfail &&
	         kopts.benchtime_ns == first.benchtime_ns &&
	         kopts.bench_count == first.bench_count && kopts.max_cpus == first.max_cpus &&
	         kopts.loglevel == first.loglevel);
	free(line);
	return 0;
}
