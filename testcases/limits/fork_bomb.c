/* Forks until the kernel refuses, every child forking too. The original prints how many of
 * its own forks succeeded and the errno of the first refusal, then keeps the bomb going for
 * 200 ms before it exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
    int made = 0;
    for (;;) {
        pid_t p = fork();
        if (p == 0) for (;;) fork();
        if (p < 0) {
            printf("forked %d then %s\n", made, strerrorname_np(errno));
            fflush(stdout);
            break;
        }
        made++;
    }
    double start = now();
    while (now() - start < 0.2) fork();
    return 0;
}
