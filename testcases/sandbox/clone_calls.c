/* clone_calls CASE: clone3 (prints its errno), threads (pthread_create works), fork (fork and
 * wait work), newuser (clone with CLONE_NEWUSER, fatal under the allowlist). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *worker(void *arg) { return arg; }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "clone3")) {
        unsigned long args[11] = {0};
        args[4] = SIGCHLD;
        long r = syscall(SYS_clone3, args, sizeof args);
        if (r == 0) _exit(0);
        printf("clone3 %s\n", r > 0 ? "ok" : strerrorname_np(errno));
    } else if (!strcmp(argv[1], "threads")) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            if (pthread_create(&t[i], NULL, worker, NULL)) { printf("threads failed\n"); return 1; }
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        printf("threads ok\n");
    } else if (!strcmp(argv[1], "fork")) {
        pid_t p = fork();
        if (p == 0) _exit(7);
        int st;
        waitpid(p, &st, 0);
        printf("fork exit=%d\n", WEXITSTATUS(st));
    } else if (!strcmp(argv[1], "newuser")) {
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (r == 0) _exit(0);
        printf("newuser %s\n", r > 0 ? "ok" : strerrorname_np(errno));
    }
    return 0;
}
