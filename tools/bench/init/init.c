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
 *     net: <the interface, its address and its driver; only with net=>
 * The TSC frequency comes from the kernel log ("Refined TSC clocksource
 * calibration" wins over "Detected ... MHz processor"), else /proc/cpuinfo.
 *
 * Network (the network benchmarks, tools/netbench.py): the fact
 * `net=A.B.C.D/N` makes init load the kernel modules the harness packed
 * into /lib/modules (their names, one per line and dependencies first,
 * in /lib/modules/order; Debian builds virtio_pci and virtio_net as
 * modules) with finit_module, wait up to 10 s for eth0, give it the
 * address and bring it and lo up (ioctl SIOCSIFADDR, SIOCSIFNETMASK,
 * SIOCSIFFLAGS).  A module that fails to load, no eth0 or a refused
 * ioctl prints `init: net: ...` and ends the machine with status 71
 * before the peer runs: a peer that cannot be reached measures nothing.
 * It is handed to the peer in the environment as BENCH_TSC_MHZ, so that a
 * peer without a cycle counter (Go) can turn ns/op into cycles/op.
 *
 * Exit: the status is written to QEMU's isa-debug-exit port 0xf4 (QEMU then
 * exits with (status << 1) | 1, the convention of tools/tally_qemu.py), then
 * reboot(RB_POWER_OFF) in case that device is absent.  Statuses: the peer's
 * own; 70 when it died from a signal; 71 when net= could not be set up;
 * 127 when it could not be started.
 *
 * Data structures: none beyond a few fixed buffers.  Invariants: init never
 * returns (the kernel panics when pid 1 exits).  Context: pid 1, root, a
 * static binary in an initramfs with no other files than the peers (and,
 * for the network benchmarks, the kernel modules in /lib/modules).
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KLOG_READ_ALL	3
#define KLOG_SIZE	10
#define DEBUG_EXIT_PORT	0xf4
#define STATUS_NO_NET	71

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


/* Load every module named in /lib/modules/order, in that order. */
static int
load_modules(void)
{
	char order[4096], path[320], *line, *save = NULL;

	read_file("/lib/modules/order", order, sizeof order);
	if (!order[0]) {
		printf("init: net: no /lib/modules/order in the initramfs\n");
		return -1;
	}
	for (line = strtok_r(order, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int fd;

		snprintf(path, sizeof path, "/lib/modules/%s.ko", line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			printf("init: net: cannot open %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
			printf("init: net: finit_module %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int
set_flags_up(int s, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/* net = "A.B.C.D/N": modules, eth0, its address, eth0 and lo up. */
static int
net_up(const char *net)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct sockaddr_in *sin;
	struct ifreq ifr;
	char addr[32], drv[64], link[128];
	const char *slash = strchr(net, '/');
	unsigned prefix;
	int i, s;
	ssize_t n;

	if (!slash || (size_t)(slash - net) >= sizeof addr ||
	    sscanf(slash + 1, "%u", &prefix) != 1 || prefix < 1 || prefix > 30) {
		printf("init: net: net=%s: expected A.B.C.D/N, N 1..30\n", net);
		return -1;
	}
	memcpy(addr, net, slash - net);
	addr[slash - net] = 0;
	if (load_modules() < 0)
		return -1;
	for (i = 0; i < 200 && access("/sys/class/net/eth0", F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	if (access("/sys/class/net/eth0", F_OK) != 0) {
		printf("init: net: no eth0 10 s after the modules were loaded\n");
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		printf("init: net: socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "eth0");
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		printf("init: net: net=%s: not an IPv4 address\n", net);
		close(s);
		return -1;
	}
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		printf("init: net: SIOCSIFADDR %s: %s\n", addr, strerror(errno));
		close(s);
		return -1;
	}
	sin->sin_addr.s_addr = htonl(~0u << (32 - prefix));
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0 || set_flags_up(s, "eth0") < 0 ||
	    set_flags_up(s, "lo") < 0) {
		printf("init: net: bringing eth0 up: %s\n", strerror(errno));
		close(s);
		return -1;
	}
	close(s);
	n = readlink("/sys/class/net/eth0/device/driver", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(drv, sizeof drv, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : "unknown");
	/* eth0's device is the virtio device; its driver is virtio_net */
	printf("net: eth0 %s/%u (%s)\n", addr, prefix, drv);
	fflush(stdout);
	return 0;
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
	if (strcmp(fact(nfacts, argv, "net", ""), "") != 0 &&
	    net_up(fact(nfacts, argv, "net", "")) < 0)
		power_off(STATUS_NO_NET);
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
