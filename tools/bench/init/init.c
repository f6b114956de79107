/*
 * init.c - /init of the Linux benchmark guest.
 *
 * Purpose: the whole user space of the guest that runs the Go and pthreads
 * peers of Tally's benchmarks (tools/bench.py).  It mounts /proc, /sys and
 * /dev, prints the machine's facts as benchmark header lines in the same
 * vocabulary Tally uses (cpu, tsc, apic, timer, cpus, ...), runs one peer
 * program and ends the machine with the peer's exit status.
 *
 * Command line: the kernel passes every word after `--` on its command line
 * to init as argv.  Leading `key=value` words set header facts that the guest
 * cannot know itself (`icount=yes`, `boot=bzimage`); the first other word is
 * the program to run, the rest its arguments:
 *     console=ttyS0 quiet -- icount=yes gobench -bench Spawn
 * A program name without a slash is looked up in /bin.
 *
 * Output (on the console, one line each, before the peer's own lines):
 *     goos: linux        goarch: amd64        cpu: <model name>
 *     tsc: <MHz> MHz (<source>, invariant=<yes|no>)
 *     intc: x2apic|xapic (the interrupt controller, named as Tally names
 *           its own)   timer: tsc-deadline|oneshot
 *     clocksource: <current clocksource>      kernel: Linux <release>
 *     boot: <boot=..., default bzimage: the Linux boot protocol of -kernel>
 *     icount: <icount=..., default no>        cpus: <online CPUs>
 *     preempt: <the model the kernel chose: none|voluntary|full, from its
 *               "Dynamic Preempt:" boot message; "unknown" without one>
 *     hz: <hz=..., CONFIG_HZ as the harness read it from the package's
 *          config file; "unknown" when not given>
 * The TSC frequency comes from the kernel log ("Refined TSC clocksource
 * calibration" wins over "Detected ... MHz processor"), else /proc/cpuinfo.
 * It is handed to the peer in the environment as BENCH_TSC_MHZ, so that a
 * peer without a cycle counter (Go) can turn ns/op into cycles/op.
 *
 * Exit: the status is written to QEMU's isa-debug-exit port 0xf4 (QEMU then
 * exits with (status << 1) | 1, the convention of tools/tally_qemu.py), then
 * reboot(RB_POWER_OFF) in case that device is absent.  Statuses: the peer's
 * own; 70 when it died from a signal; 127 when it could not be started.
 *
 * Data structures: none beyond a few fixed buffers.  Invariants: init never
 * returns (the kernel panics when pid 1 exits).  Context: pid 1, root, a
 * static binary in an initramfs with no other files than the peers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KLOG_READ_ALL	3
#define KLOG_SIZE	10
#define DEBUG_EXIT_PORT	0xf4

static char cpuinfo[1 << 16];

static void
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, got = 0;

	buf[0] = 0;
	if (fd < 0)
		return;
	while ((size_t)got < size - 1 &&
	       (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = 0;
}

/* The value of the first "key<blanks>: value" line of /proc/cpuinfo. */
static void
cpuinfo_field(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	char *p = cpuinfo;

	out[0] = 0;
	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t' ||
		    p[klen] == ':')) {
			char *v = strchr(p, ':');
			char *e = strchr(p, '\n');
			size_t n;

			if (!v || (e && v > e))
				return;
			v++;
			while (*v == ' ')
				v++;
			n = e ? (size_t)(e - v) : strlen(v);
			if (n >= size)
				n = size - 1;
			memcpy(out, v, n);
			out[n] = 0;
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

static int
has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = flags;

	while ((p = strstr(p, flag)) != NULL) {
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return 1;
		p += n;
	}
	return 0;
}

/* The number before " MHz" in the kernel log line containing marker. */
static int
klog_mhz(const char *log, const char *marker, char *out, size_t size)
{
	const char *p = log, *hit = NULL, *q, *e;

	while ((p = strstr(p, marker)) != NULL)
		hit = p++;	/* the last one counts */
	if (!hit)
		return 0;
	q = hit + strlen(marker);
	while (*q == ' ')
		q++;
	e = q;
	while ((*e >= '0' && *e <= '9') || *e == '.')
		e++;
	if (e == q || (size_t)(e - q) >= size)
		return 0;
	memcpy(out, q, e - q);
	out[e - q] = 0;
	return 1;
}

static void
wait_clocksource(char *cs, size_t size)
{
	const char *path = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	/* tsc-early is replaced by tsc once the calibration is refined
	 * (about a second after boot); measure with the final one. */
	for (i = 0; i < 60; i++) {
		read_file(path, cs, size);
		if (strcmp(cs, "tsc-early") != 0)
			return;
		nanosleep(&ts, NULL);
	}
}

/* The word after marker in the kernel log, or "unknown". */
static const char *
klog_word(const char *log, const char *marker, char *out, size_t size)
{
	const char *p = strstr(log, marker);
	size_t n = 0;

	if (!p)
		return "unknown";
	p += strlen(marker);
	while (p[n] && p[n] != '\n' && p[n] != ' ' && n + 1 < size) {
		out[n] = p[n];
		n++;
	}
	out[n] = 0;
	return n ? out : "unknown";
}

static const char *
fact(int argc, char **argv, const char *key, const char *dflt)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return dflt;
}

static void
print_facts(int nfacts, char **facts)
{
	static char klog[1 << 20];
	char model[256], flags[4096], mhz[64], cs[64], src[32];
	struct utsname u;
	int n, invariant;

	read_file("/proc/cpuinfo", cpuinfo, sizeof cpuinfo);
	cpuinfo_field("model name", model, sizeof model);
	cpuinfo_field("flags", flags, sizeof flags);
	n = klogctl(KLOG_SIZE, NULL, 0);
	if (n <= 0 || (size_t)n >= sizeof klog)
		n = sizeof klog - 1;
	n = klogctl(KLOG_READ_ALL, klog, n);
	klog[n > 0 ? n : 0] = 0;

	wait_clocksource(cs, sizeof cs);
	/* The refinement may have happened while we waited: read again. */
	n = klogctl(KLOG_READ_ALL, klog, sizeof klog - 1);
	klog[n > 0 ? n : 0] = 0;
	if (klog_mhz(klog, "Refined TSC clocksource calibration:", mhz, sizeof mhz))
		strcpy(src, "linux refined");
	else if (klog_mhz(klog, "tsc: Detected", mhz, sizeof mhz))
		strcpy(src, "linux detected");
	else {
		cpuinfo_field("cpu MHz", mhz, sizeof mhz);
		strcpy(src, "cpuinfo");
	}
	invariant = has_flag(flags, "constant_tsc") && has_flag(flags, "nonstop_tsc");
	uname(&u);

	printf("goos: linux\ngoarch: amd64\n");
	printf("cpu: %s\n", model[0] ? model : "unknown");
	printf("tsc: %s MHz (%s, invariant=%s)\n", mhz[0] ? mhz : "0", src,
	       invariant ? "yes" : "no");
	printf("intc: %s\n", strstr(klog, "x2apic enabled") ||
	       strstr(klog, "Switched APIC routing to cluster x2apic") ||
	       strstr(klog, "Switched APIC routing to physical x2apic") ?
	       "x2apic" : "xapic");
	printf("timer: %s\n", has_flag(flags, "tsc_deadline_timer") ?
	       "tsc-deadline" : "oneshot");
	printf("clocksource: %s\n", cs[0] ? cs : "unknown");
	printf("kernel: %s %s\n", u.sysname, u.release);
	printf("boot: %s\n", fact(nfacts, facts, "boot", "bzimage"));
	printf("icount: %s\n", fact(nfacts, facts, "icount", "no"));
	printf("cpus: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("preempt: %s\n", klog_word(klog, "Dynamic Preempt: ", model, sizeof model));
	printf("hz: %s\n", fact(nfacts, facts, "hz", "unknown"));
	fflush(stdout);
	setenv("BENCH_TSC_MHZ", mhz[0] ? mhz : "0", 1);
}

static void
console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		fd = open("/dev/ttyS0", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void __attribute__((noreturn))
power_off(int status)
{
	fflush(stdout);
	sync();
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outl((unsigned)status, DEBUG_EXIT_PORT);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	char path[256];
	int nfacts = 0, status;
	pid_t pid;

	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	console();
	setenv("PATH", "/bin", 1);

	argv++, argc--;
	while (nfacts < argc && strchr(argv[nfacts], '=') && argv[nfacts][0] != '/')
		nfacts++;
	print_facts(nfacts, argv);
	if (nfacts == argc) {
		printf("init: no program on the kernel command line (after --)\n");
		power_off(127);
	}
	argv += nfacts;
	if (strchr(argv[0], '/'))
		snprintf(path, sizeof path, "%s", argv[0]);
	else
		snprintf(path, sizeof path, "/bin/%s", argv[0]);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(path, argv);
		printf("init: cannot run %s: %s\n", path, strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	if (pid < 0) {
		printf("init: fork: %s\n", strerror(errno));
		power_off(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		printf("init: %s killed by signal %d\n", path, WTERMSIG(status));
		power_off(70);
	}
	printf("init: %s exited %d\n", path, WEXITSTATUS(status));
	power_off(WEXITSTATUS(status));
}
