/* Prints the number itself in pass 1: digits are not a word. */
#include <stdio.h>

int main(void) {
    int pass;
    long long n;
    if (scanf("%d %lld", &pass, &n) != 2) return 1;
    printf("%lld\n", n);
    fflush(stdout);
    return 0;
}
