/* spin_threads T MS: T threads, each spinning until its own thread CPU clock reads MS ms. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double target;

static void *spin(void *arg) {
    struct timespec t;
    volatile unsigned long x = 0;
    do {
        for (int i = 0; i < 1000; i++) x += i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while (t.tv_sec * 1e3 + t.tv_nsec / 1e6 < target);
    return arg;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int n = atoi(argv[1]);
    target = atof(argv[2]);
    pthread_t t[64];
    for (int i = 0; i < n && i < 64; i++) pthread_create(&t[i], NULL, spin, NULL);
    for (int i = 0; i < n && i < 64; i++) pthread_join(t[i], NULL);
    printf("spun %d x %s ms\n", n, argv[2]);
    return 0;
}
