/*
 * test_options_dup.c - a boot option key registered by two subsystems is
 * refused, with a message naming the key and both owners.
 *
 * Links every real option set (OPTION_SRCS in host.mk) plus the set
 * below, which registers "tick" a second time, as a subsystem that copied
 * another's option by mistake would.
 *
 * Context: host only.
 */
#include <string.h>
#include "tests/host/fixture.h"
#include "kernel/kernel.h"

static int set_dup(const char *v, const char **why)
{
	(void)v;
	*why = "never called";
	return -1;
}

static const struct bootopt dup_opts[] = {
	{ "tick", "a second tick=", set_dup },
};

BOOTOPT_SET(dup, "duplicate-test", dup_opts, 1, NULL, NULL);

static void duplicate_key_is_refused(void **state)
{
	(void)state;
	static struct bootopt_result res;
	assert_int_equal(kopts_parse("", &res), -1);
	assert_non_null(strstr(res.err, "\"tick\" is registered twice"));
	assert_non_null(strstr(res.err, "cpu"));
	assert_non_null(strstr(res.err, "duplicate-test"));
	/* whatever the line says: the table itself is wrong */
	assert_int_equal(kopts_parse("loglevel=2", &res), -1);
}

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duplicate_key_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
