/* Double-forks a grandchild that calls setsid and sleeps forever, then exits at once. The test
 * finds the grandchild on the host by the marker in argv[0]. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) for (;;) pause();
        _exit(0);
    }
    waitpid(p, NULL, 0);
    usleep(50000);
    printf("daemonized\n");
    return 0;
}
