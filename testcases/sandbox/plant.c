/* plant WHAT: leaves something behind for the next run to find (see look.c).
 *   files   a file in /tmp and one in /dev/shm
 *   process a daemon (setsid, double fork) that sleeps forever
 *   ipc     a SysV shared memory segment, semaphore set and message queue
 *   socket  a daemon holding a bound abstract unix socket "judge-planted" */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <string.h>
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
    }
    return 0;
}
