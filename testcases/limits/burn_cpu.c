/* burn_cpu MS: spins until CLOCK_PROCESS_CPUTIME_ID reads MS ms; prints what it read last. */
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
    double target = atof(argv[1]), now;
    volatile unsigned long x = 0;
    while ((now = cpu_ms()) < target) for (int i = 0; i < 1000; i++) x += i;
    printf("cpu_ms %.3f\n", now);
    return 0;
}
