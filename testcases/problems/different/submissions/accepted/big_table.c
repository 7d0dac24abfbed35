/* Accepted: 512 MiB of statically initialised data, which the executable holds (a compile
   step must be able to write it: DOMjudge allows 2.5 GiB); only the pages read count as the
   program's memory. */
#include <stdio.h>

#define SIZE (512 << 20)
char table[SIZE] = {1};

int main(void) {
    long long a, b;
    while (scanf("%lld %lld", &a, &b) == 2) {
        long long at = (a > 0 ? a : -a) * 7919 % SIZE;
        printf("%lld\n", (a > b ? a - b : b - a) + table[at] - (at == 0));
    }
    return 0;
}
