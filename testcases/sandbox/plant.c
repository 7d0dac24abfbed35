/* plant WHAT: leaves something behind for the next run to find (see look.c).
 *   files   a file in /tmp and one in /dev/shm
 *   process a daemon (setsid, double fork) that sleeps forever
 *   ipc     a SysV shared memory segment, semaphore set and message queue
 *   socket  a daemon holding a bound abstract unix socket "judge-planted"
 *   tmpmode /tmp itself changed: its mode (chmod 0), its times (set to 1970 and to now), a
 *           directory of mode 0 in it holding a file
 *   cycle   no process, but a listening abstract socket "judge-cycle" and an unlinked /tmp file
 *           kept alive by a descriptor cycle: a socket holding its own descriptor in flight
 *   devices /dev/null's times and mode changed (it is the host's node, bound in) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void daemonize(void) {
    if (fork() != 0) _exit(0);
    setsid();
    if (fork() != 0) _exit(0);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    if (!strcmp(what, "files")) {
        FILE *a = fopen("/tmp/planted", "w"), *b = fopen("/dev/shm/planted", "w");
        printf("%s\n", a && b ? "planted" : "failed");
    } else if (!strcmp(what, "process")) {
        printf("planted\n");
        fflush(stdout);
        if (fork() == 0) {
            daemonize();
            for (;;) pause();
        }
    } else if (!strcmp(what, "ipc")) {
        int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        printf("%s\n", shm >= 0 && sem >= 0 && msg >= 0 ? "planted" : "failed");
    } else if (!strcmp(what, "socket")) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        memcpy(a.sun_path + 1, "judge-planted", 13);
        int ok = bind(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 14) == 0
                 && listen(s, 1) == 0;
        printf("%s\n", ok ? "planted" : "failed");
        fflush(stdout);
        if (fork() == 0) {
            daemonize();
            for (;;) pause();
        }
    } else if (!strcmp(what, "tmpmode")) {
        struct timespec old[2] = { { 1, 0 }, { 1, 0 } };
        int chmodded = chmod("/tmp", 0) == 0;
        int timed = utimensat(AT_FDCWD, "/tmp", old, 0) == 0;
        int touched = utimensat(AT_FDCWD, "/tmp", NULL, 0) == 0;
        int made = mkdir("/tmp/locked", 0700) == 0;
        FILE *f = fopen("/tmp/locked/inside", "w");
        if (f) fclose(f);
        chmod("/tmp/locked", 0);
        printf("chmod %s times %s touch %s dir %s\n", chmodded ? "ok" : "refused",
               timed ? "ok" : "refused", touched ? "ok" : "refused", made && f ? "ok" : "failed");
    } else if (!strcmp(what, "cycle")) {
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        memcpy(a.sun_path + 1, "judge-cycle", 11);
        int bound = bind(l, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 12) == 0
                    && listen(l, 4) == 0;
        int f = open("/tmp", O_TMPFILE | O_RDWR, 0600);
        if (f >= 0) write(f, "kept", 4);
        int sp[2];
        socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
        /* sp[1] receives the listener, the file and itself: nothing outside holds it. */
        int fds[3] = { l, f, sp[1] };
        char buf[CMSG_SPACE(sizeof fds)] = { 0 };
        struct iovec iov = { .iov_base = "x", .iov_len = 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
                            .msg_controllen = sizeof buf };
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof fds);
        memcpy(CMSG_DATA(c), fds, sizeof fds);
        int sent = sendmsg(sp[0], &m, 0) == 1;
        close(l);
        close(f);
        close(sp[0]);
        close(sp[1]);
        printf("%s\n", bound && f >= 0 && sent ? "planted" : "failed");
    } else if (!strcmp(what, "devices")) {
        int timed = utimensat(AT_FDCWD, "/dev/null", NULL, 0) == 0;
        int e1 = errno;
        int chmodded = chmod("/dev/null", 0600) == 0;
        int fd = open("/dev/null", O_WRONLY);
        int wrote = fd >= 0 && write(fd, "x", 1) == 1;
        printf("times %s chmod %s write %s\n", timed ? "ok" : strerrorname_np(e1),
               chmodded ? "ok" : "refused", wrote ? "ok" : "failed");
    }
    return 0;
}
