/* Kattis protocol: validate input answer feedback_dir < output; 42 accepts, 43 rejects.
   Accepts any d with 1 < d < n dividing n; a rejection says why in judgemessage.txt. */
#include <stdio.h>
#include <string.h>

static int reject(const char *dir, const char *why) {
    char path[4096];
    snprintf(path, sizeof path, "%s/judgemessage.txt", dir);
    FILE *msg = fopen(path, "w");
    if (msg) {
        fputs(why, msg);
        fclose(msg);
    }
    return 43;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    FILE *in = fopen(argv[1], "r");
    unsigned long long n, d;
    if (!in || fscanf(in, "%llu", &n) != 1) return 1;
    if (scanf("%llu", &d) != 1) return reject(argv[3], "no number");
    char extra;
    if (scanf(" %c", &extra) == 1) return reject(argv[3], "more than one number");
    if (d > 1 && d < n && n % d == 0) return 42;
    return reject(argv[3], "not a divisor strictly between 1 and n");
}
