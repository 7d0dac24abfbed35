/* burn_cpu MS: spins until CLOCK_PROCESS_CPUTIME_ID has advanced MS ms since main began; prints
 * the clock at the end and at main's start (the process's CPU before main: exec, and in a reused
 * environment the spare's set-up before its request). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    double start = cpu_ms(), target = start + atof(argv[1]), now;
    volatile unsigned long x = 0;
    while ((now = cpu_ms()) < target) for (int i = 0; i < 1000; i++) x += i;
    printf("cpu_ms %.3f %.3f\n", now, start);
    return 0;
}
