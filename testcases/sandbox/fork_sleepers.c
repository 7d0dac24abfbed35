/* Forks three children that sleep forever, then sleeps forever itself. The test finds them by
 * the marker in argv[0] (inherited by the children). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    for (int i = 0; i < 3; i++)
        if (fork() == 0) for (;;) pause();
    printf("forked\n");
    fflush(stdout);
    for (;;) pause();
}
