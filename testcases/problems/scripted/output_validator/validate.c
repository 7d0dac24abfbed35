/* Kattis protocol: validate input answer feedback_dir < output; 42 accepts, 43 rejects.
   Accepts any d with 1 < d < n dividing n. */
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    FILE *in = fopen(argv[1], "r");
    unsigned long long n, d;
    if (!in || fscanf(in, "%llu", &n) != 1) return 1;
    if (scanf("%llu", &d) != 1) return 43;
    char extra;
    if (scanf(" %c", &extra) == 1) return 43;
    return d > 1 && d < n && n % d == 0 ? 42 : 43;
}
