/* Forks a sleeping child, sends SIGKILL to every process it may signal, then reports the result
 * and how its own child ended: kill(-1) works inside, and must reach nothing outside. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t child = fork();
    if (child == 0) for (;;) pause();
    usleep(10000);
    int r = kill(-1, SIGKILL);
    printf("kill %s\n", r == 0 ? "ok" : strerrorname_np(errno));
    int st;
    waitpid(child, &st, 0);
    printf("child signal=%d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
