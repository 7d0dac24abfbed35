#include <stdio.h>

int main(void) {
    long long n;
    scanf("%lld", &n);
    printf("%lld 0\n", n);
    return 0;
}
