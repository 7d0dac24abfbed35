#include <stdio.h>

int main(void) {
    unsigned long long n, d = 2;
    if (scanf("%llu", &n) != 1) return 1;
    while (n % d) d++;
    printf("%llu\n", d);
    return 0;
}
