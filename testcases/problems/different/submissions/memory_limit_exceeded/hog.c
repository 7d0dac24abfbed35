#include <stdio.h>
#include <stdlib.h>

/* Touches 1 GiB, a page at a time, and uses what it wrote so nothing is optimised away. */
int main(void) {
    size_t n = 1UL << 30;
    char *p = malloc(n);
    if (!p) return 1;
    for (size_t i = 0; i < n; i += 4096) p[i] = (char)i;
    long sum = 0;
    for (size_t i = 0; i < n; i += 4096) sum += p[i];
    printf("%ld\n", sum);
    return 0;
}
