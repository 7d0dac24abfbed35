/* Kattis interactive multi-pass validator: interactor input answer feedback_dir, talking to
   the submission on stdin/stdout. It sends the pass's input ("1 n", then "2 word" from its
   own nextpass.in) and reads one line back, then judges as remember's validator does. */
#include <stdio.h>
#include <string.h>

static void say(const char *dir, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%sjudgemessage.txt", dir);
    FILE *f = fopen(path, "a");
    if (f) { fputs(text, f); fclose(f); }
}

static int is_word(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 20) return 0;
    for (size_t i = 0; i < n; i++) if (s[i] < 'a' || s[i] > 'z') return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    const char *dir = argv[3];
    char path[4096], given[64], kept[64], out[64];
    int pass;
    FILE *in = fopen(argv[1], "r"), *ans = fopen(argv[2], "r");
    long long n;
    if (!in || !ans || fscanf(in, "%d %63s", &pass, given) != 2 || fscanf(ans, "%lld", &n) != 1)
        return 1;
    printf("%d\n%s\n", pass, given);
    fflush(stdout);
    if (pass == 1) {
        if (scanf("%63s", out) != 1 || !is_word(out)) { say(dir, "pass 1: not a word\n"); return 43; }
        snprintf(path, sizeof path, "%sword", dir);
        FILE *w = fopen(path, "w");
        snprintf(path, sizeof path, "%snextpass.in", dir);
        FILE *next = fopen(path, "w");
        if (!w || !next) return 1;
        fprintf(w, "%s\n", out);
        fprintf(next, "2\n%s\n", out);
        fclose(w);
        fclose(next);
        say(dir, "pass 1: a word\n");
        return 42;
    }
    snprintf(path, sizeof path, "%sword", dir);
    FILE *w = fopen(path, "r");
    if (!w || fscanf(w, "%63s", kept) != 1 || strcmp(kept, given) != 0) return 1;
    long long got;
    if (scanf("%lld", &got) != 1 || got != n) { say(dir, "pass 2: not the number\n"); return 43; }
    say(dir, "pass 2: the number\n");
    return 42;
}
