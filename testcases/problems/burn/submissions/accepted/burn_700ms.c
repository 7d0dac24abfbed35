/* Spends 0.7 s of CPU time (by the process's CPU clock), then echoes the input. */
#include <stdio.h>
#include <time.h>

int main(void) {
    long n;
    if (scanf("%ld", &n) != 1) return 1;
    struct timespec t;
    volatile unsigned long spin = 0;
    do {
        for (int i = 0; i < 100000; i++) spin++;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while (t.tv_sec * 1000L + t.tv_nsec / 1000000L < 700);
    printf("%ld\n", n);
    return 0;
}
