/* A solution of `different` that answers right only while the ptrace backend confines it: it
 * runs as a host uid (neither root nor the namespaced sandbox's 1000, so it was not judged in
 * namespaces), cannot read /etc/passwd or another process's /proc files, cannot write the
 * host's /tmp, cannot signal its parent (the judge) or PID 1, and cannot make a link. Anything
 * else makes it answer with the reason (one token) instead: WA. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *escaped(void) {
    if (getuid() == 0) return "root";
    if (getuid() == 1000) return "namespaced";
    if (open("/etc/passwd", O_RDONLY) >= 0) return "read_/etc/passwd";
    if (open("/proc/1/environ", O_RDONLY) >= 0) return "read_/proc/1/environ";
    if (open("/proc/thread-self/root/etc/passwd", O_RDONLY) >= 0) return "read_through_root";
    if (open("/proc/self/cwd/../../../../../../etc/passwd", O_RDONLY) >= 0) return "read_up_cwd";
    if (open("/tmp/judge-traced-escape", O_WRONLY | O_CREAT, 0600) >= 0) return "wrote_/tmp";
    if (kill(getppid(), 0) == 0) return "signalled_the_parent";
    if (kill(1, 0) == 0) return "signalled_pid_1";
    const char *tmp = getenv("TMPDIR");
    char link[4096];
    snprintf(link, sizeof link, "%s/l", tmp ? tmp : ".");
    if (symlink("/etc/shadow", link) == 0) return "made_a_link";
    return NULL;
}

int main(void) {
    const char *why = escaped();
    long long a, b;
    while (scanf("%lld %lld", &a, &b) == 2) {
        if (why) puts(why);
        else printf("%lld\n", llabs(a - b));
    }
    return 0;
}
