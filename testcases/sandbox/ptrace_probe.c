/* What a program traced by the ptrace backend may do, one line per attempt: "NAME ok" or
 * "NAME ERRNO-NAME". The test compares every line with what the backend must answer; a line
 * that says ok where it must not is an escape. With the argument "unshare" it only calls
 * unshare(CLONE_NEWUSER), which the allowlist kills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *name, int rc) {
    if (rc >= 0) printf("%s ok\n", name);
    else printf("%s %s\n", name, strerrorname_np(errno));
    fflush(stdout);
}

static int open_close(const char *path, int flags) {
    int fd = open(path, flags, 0600);
    if (fd >= 0) close(fd);
    return fd;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "unshare") == 0) {
        unshare(CLONE_NEWUSER);
        printf("unshare survived\n");
        return 0;
    }
    char own[4096];
    const char *tmp = getenv("TMPDIR");
    printf("uid %u\n", getuid());
    say("read /etc/passwd", open_close("/etc/passwd", O_RDONLY));
    say("read /proc/self/root/etc/passwd", open_close("/proc/self/root/etc/passwd", O_RDONLY));
    say("read /proc/thread-self/root/etc/passwd",
        open_close("/proc/thread-self/root/etc/passwd", O_RDONLY));
    say("read /proc/1/cmdline", open_close("/proc/1/cmdline", O_RDONLY));
    say("read /proc/self/status", open_close("/proc/self/status", O_RDONLY));
    say("read own program", open_close(argv[0], O_RDONLY));
    say("write own program", open_close(argv[0], O_WRONLY));
    say("write /tmp/escape", open_close("/tmp/judge-ptrace-escape", O_WRONLY | O_CREAT));
    snprintf(own, sizeof own, "%s/mine", tmp ? tmp : "/nonexistent");
    say("write TMPDIR/mine", open_close(own, O_WRONLY | O_CREAT));
    char link[4096];
    snprintf(link, sizeof link, "%s/link", tmp ? tmp : "/nonexistent");
    say("symlink to /etc/passwd", symlink("/etc/passwd", link));
    say("mkdir /var/tmp/escape", mkdir("/var/tmp/judge-ptrace-escape", 0700));
    say("stat /home", ({ struct stat st; stat("/home", &st); }));
    say("chdir /", chdir("/"));
    say("write /dev/null", open_close("/dev/null", O_WRONLY));
    say("kill 1", kill(1, 0));
    say("kill parent", kill(getppid(), 0));
    say("kill self", kill(getpid(), 0));
    say("shmget", shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un abstract = {.sun_family = AF_UNIX};
    memcpy(abstract.sun_path, "\0judge-probe", 12);
    say("connect abstract", connect(s, (struct sockaddr *)&abstract, sizeof(sa_family_t) + 12));
    say("socket inet", socket(AF_INET, SOCK_STREAM, 0));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("sendto abstract", (int)sendto(d, "x", 1, 0, (struct sockaddr *)&abstract,
                                       sizeof(sa_family_t) + 12));
    struct statfs sfs;
    say("statfs /home", statfs("/home", &sfs));
    say("getsid 1", getsid(1));
    cpu_set_t set;
    say("sched_getaffinity 1", sched_getaffinity(1, sizeof set, &set));
    pid_t child = fork();
    if (child == 0) {
        /* A child is traced too. */
        say("child read /etc/passwd", open_close("/etc/passwd", O_RDONLY));
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    say("child exited", WIFEXITED(status) ? 0 : -1);
    return 0;
}
