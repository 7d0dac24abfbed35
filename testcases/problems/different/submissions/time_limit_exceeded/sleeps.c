/* Reads the input, sleeps 10 s, then prints the right answers: it uses almost no CPU, but its
 * wall time passes the wall limit (the CPU limit plus the larger of 1 s and half of it), so it
 * is TLE, as DOMjudge judges it. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    long long a[1000], b[1000];
    int n = 0;
    while (n < 1000 && scanf("%lld %lld", &a[n], &b[n]) == 2) n++;
    sleep(10);
    for (int i = 0; i < n; i++) printf("%lld\n", a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
    return 0;
}
