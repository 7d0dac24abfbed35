/* A solution of `different` that answers right only while it is confined as a rootless sandbox
 * must confine it: it runs as uid 1000 inside (not the invoking user's host uid), is not
 * PID 1 and sees no host process, sees no host home or engine directory, cannot write the
 * root, has no network, and holds no capability. Any escape makes it answer with the reason
 * (one token, so the checker's message shows it) instead: WA. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

static const char *escaped(void) {
    static char why[128];
    struct stat st;
    if (getuid() != 1000 || getgid() != 1000) {
        snprintf(why, sizeof why, "uid %u gid %u", getuid(), getgid());
        return why;
    }
    if (getpid() == 1) return "PID 1";
    if (stat("/home", &st) == 0) return "/home visible";
    if (stat("/proc/self/status", &st) != 0) return "no /proc";
    /* Its own process only: not even the reaper (non-dumpable, hidden by hidepid=2), no host
     * process. */
    char path[64];
    int others = 0;
    for (int pid = 1; pid < 200; pid++) {
        snprintf(path, sizeof path, "/proc/%d", pid);
        if (pid != getpid() && stat(path, &st) == 0) others++;
    }
    if (others > 0) return "other processes visible";
    int fd = open("/escaped", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) return "the root is writable";
    if (socket(AF_INET, SOCK_STREAM, 0) >= 0) return "an inet socket";
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) return "capget failed";
    if (d[0].effective || d[0].permitted || d[1].effective || d[1].permitted)
        return "capabilities held";
    return NULL;
}

int main(void) {
    const char *why = escaped();
    long long a, b;
    while (scanf("%lld %lld", &a, &b) == 2) {
        if (why) {
            for (const char *c = why; *c; c++) putchar(*c == ' ' ? '_' : *c);
            putchar('\n');
        } else {
            printf("%lld\n", llabs(a - b));
        }
    }
    return 0;
}
