/* The interpreter of the `rootfs` test profile, inside its root image: it reads the submission
 * (argv[1]) and answers problem `different` (|a - b| per line) when the submission says
 * "solve", printing nothing useful otherwise; and it gives a wrong answer on purpose if the
 * host's /usr/bin/gcc is visible (the image has no /usr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char word[16] = {0};
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!f || !fgets(word, sizeof word, f) || strncmp(word, "solve", 5) != 0) {
        puts("not asked to solve");
        return 0;
    }
    if (access("/usr/bin/gcc", F_OK) == 0) {
        puts("the host's /usr is visible");
        return 0;
    }
    long long a, b;
    while (scanf("%lld %lld", &a, &b) == 2) printf("%lld\n", llabs(a - b));
    return 0;
}
